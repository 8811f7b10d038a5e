/**
 * The inference function's container image layout, in one place: runner/inference.Dockerfile runs
 * this at build time, and the tests and `npm run bench:inference-lambda` run it on this machine, so
 * what they exercise is the image's /var/task, file for file:
 *
 *   index.mjs, chunks/, *.map                 the handler, bundled with every Lambda's esbuild
 *                                             options (bundling.ts: `bundleLambda`)
 *   build/Release/tuneplane_native.node       runner/native's OpenBLAS kernels, where
 *                                             runner/native/addon.ts looks, beside the bundle
 *   node_modules/aws-lambda-ric/              the Lambda Runtime Interface Client (the entry point
 *                                             polling the Runtime API) and its native client
 *
 * Everything it copies must already be built (`npm run build:native`, `npm run build:ric`): a
 * missing piece fails here, at build time, not at the first request.
 *
 *   node --import tsx infra/aws/inference-image.ts <task dir> [--pure-js]
 *
 * `--pure-js` leaves the addon out: the zip function's backend, for side-by-side figures.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLambda } from './bundling';
import { handlerEntry, repoRoot } from './paths';

/** Where the built addon is in the repository, and where the bundle looks for it. */
const ADDON = join('build', 'Release', 'tuneplane_native.node');
const RIC_PACKAGE = join('node_modules', 'aws-lambda-ric');
/** The RIC's files that run: one ESM bundle and the native Runtime API client it requires. */
const RIC_FILES = ['index.mjs', 'rapid-client.node', 'package.json'];

export interface ImageLayout {
  /** LAMBDA_TASK_ROOT. */
  taskRoot: string;
  /** The entry point: `node <ric>` with _HANDLER=index.handler. */
  ric: string;
  /** The addon, absent with `pureJs`. */
  addon?: string;
}

export async function layInferenceImage(
  taskRoot: string,
  opts: { pureJs?: boolean; root?: string } = {},
): Promise<ImageLayout> {
  const root = opts.root ?? repoRoot;
  const builtAddon = join(root, 'runner', 'native', ADDON);
  const ricDir = join(root, RIC_PACKAGE);
  if (!opts.pureJs && !existsSync(builtAddon))
    throw new Error(`${builtAddon} is missing: run \`npm run build:native\` first`);
  for (const f of RIC_FILES)
    if (!existsSync(join(ricDir, f)))
      throw new Error(
        `${join(ricDir, f)} is missing: build the Runtime Interface Client first with ` +
          '`npm run build:ric` (needs cmake, g++ and make; npm does not build it on install)',
      );
  await rm(taskRoot, { recursive: true, force: true });
  await bundleLambda(handlerEntry('inference'), taskRoot);
  let addon: string | undefined;
  if (!opts.pureJs) {
    addon = join(taskRoot, ADDON);
    await mkdir(join(taskRoot, 'build', 'Release'), { recursive: true });
    await copyFile(builtAddon, addon);
  }
  const ric = join(taskRoot, RIC_PACKAGE);
  await mkdir(ric, { recursive: true });
  for (const f of RIC_FILES) await copyFile(join(ricDir, f), join(ric, f));
  // Its package.json says "type": "module"; nothing else in it is needed at run time.
  const pkg = JSON.parse(await readFile(join(ricDir, 'package.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(
    join(ric, 'package.json'),
    JSON.stringify({ name: pkg.name, version: pkg.version, type: pkg.type, main: pkg.main }, null, 2),
  );
  return { taskRoot, ric: join(ric, 'index.mjs'), addon };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, ...flags] = process.argv.slice(2);
  if (!dir || flags.some((f) => f !== '--pure-js')) {
    console.error('usage: inference-image.ts <task dir> [--pure-js]');
    process.exit(2);
  }
  const laid = await layInferenceImage(dir, { pureJs: flags.includes('--pure-js') });
  console.log(JSON.stringify(laid));
}
