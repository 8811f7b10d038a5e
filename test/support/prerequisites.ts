/**
 * vitest's globalSetup: the suite's one hard prerequisite, checked before any test runs.
 *
 * The trainer tests (chat, sentiment, the sweep and job end-to-end tests, …) are sized for
 * runner/native's OpenBLAS kernels. On the pure-JS fallback they train many times slower and run
 * past their time limits (measured in README "Two commands"), so a machine without OpenBLAS used
 * to spend ten minutes and then fail on a timeout that named no cause. Now `npm test` stops at
 * once and says what to install. `TUNEPLANE_NATIVE=off` is the explicit choice of the fallback
 * (CI runs the trainer tests that fit their limits that way) and is not refused.
 */
import { loadAddon, type AddonLoad } from '../../runner/native/addon';

/** Why the suite cannot run here, or undefined when it can. */
export function missingPrerequisite(
  env: NodeJS.ProcessEnv,
  load: () => AddonLoad = () => loadAddon(),
): string | undefined {
  if (env.TUNEPLANE_NATIVE === 'off') return undefined;
  const addon = load();
  if (addon.ok) return undefined;
  return (
    `npm test needs the native OpenBLAS kernels (runner/native): ${addon.reason}.\n` +
    'Install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas-dev) and run `npm run build:native`.\n' +
    'Without them the trainer tests run on pure TensorFlow.js and exceed their time limits; ' +
    'TUNEPLANE_NATIVE=off npm test runs them that way anyway.'
  );
}

export default function setup(): void {
  const why = missingPrerequisite(process.env);
  if (why) throw new Error(why);
}
