/**
 * `npm test`'s prerequisite check (test/support/prerequisites.ts, vitest's globalSetup): where the
 * native kernels cannot load, the suite stops before any test and names what to install.
 */
import path from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../../../runner/native/addon';
import { missingPrerequisite } from '../../../support/prerequisites';

const nowhere = path.join(tmpdir(), 'no-such-build', 'tuneplane_native.node');

describe('the test suite’s prerequisite check', () => {
  it('refuses to run without the native kernels, naming the package and the build command', () => {
    const why = missingPrerequisite({}, () => loadAddon(nowhere));
    expect(why).toContain('native addon not built');
    expect(why).toContain(nowhere);
    expect(why).toContain('apt-get install libopenblas-dev');
    expect(why).toContain('npm run build:native');
    expect(why).toContain('TUNEPLANE_NATIVE=off');
  });

  it('lets TUNEPLANE_NATIVE=off run on the pure-JS trainer without asking for the addon', () => {
    let asked = false;
    const why = missingPrerequisite({ TUNEPLANE_NATIVE: 'off' }, () => {
      asked = true;
      return loadAddon(nowhere);
    });
    expect(why).toBeUndefined();
    expect(asked).toBe(false);
  });

  it('passes where the addon loads', () => {
    const load = loadAddon();
    expect(missingPrerequisite({}, () => load)).toBe(load.ok ? undefined : expect.any(String));
  });
});
