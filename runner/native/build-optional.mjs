// `npm install` / `npm ci` hook: build the native OpenBLAS kernels when this machine can, and
// carry on without them when it cannot (the trainer then runs on pure TensorFlow.js and says so).
// Debian/Ubuntu: `apt-get install libopenblas-dev` first; `npm run build:native` builds strictly.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

if (process.env.TUNEPLANE_SKIP_NATIVE === '1') process.exit(0);
const dir = path.dirname(fileURLToPath(import.meta.url));
const gyp = process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp';
const res = spawnSync(gyp, ['rebuild', '--directory', dir], {
  stdio: ['ignore', 'ignore', 'pipe'],
  encoding: 'utf8',
});
if (res.status === 0) {
  console.log('tuneplane: native OpenBLAS kernels built (runner/native)');
} else {
  const why = (res.stderr ?? String(res.error ?? ''))
    .split('\n')
    .filter((l) => /error/i.test(l))
    .slice(0, 3)
    .join('\n');
  console.warn(
    'tuneplane: native CPU kernels not built; training will use pure TensorFlow.js (much slower),\n' +
      '  and `npm test` will refuse to run (its trainer tests are sized for these kernels).\n' +
      '  Install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas-dev) and run `npm run build:native`.\n' +
      (why ? `  ${why.replace(/\n/g, '\n  ')}\n` : ''),
  );
}
