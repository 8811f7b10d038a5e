/**
 * The runner as one compiled ESM file for the local dispatcher: runner/dist/job.mjs (kept out of
 * git), bundled with esbuild from runner/entry/job.ts and everything it imports, npm packages
 * included. Started through tsx, a job spent seconds compiling and resolving hundreds of modules
 * before its first step; the bundle loads in about a second.
 *
 * Built when `npm start` boots if any of its inputs (esbuild's metafile lists them) is newer than
 * the bundle, so an edited runner is never run stale; otherwise reused as is. Written to a
 * temporary name and renamed, so a runner never loads a half-written file. Without esbuild or on a
 * build error, jobs run through tsx as before, and the reason is logged.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

export interface RunnerCommand {
  /** argv of one runner process; the dispatcher adds TUNEPLANE_JOB_ID to its environment. */
  command: string[];
  /** 'built', 'reused', or why the TypeScript sources run through tsx. */
  how: string;
}

export interface RunnerBundleOptions {
  /** Where job.mjs and its metafile go (default runner/dist under root). */
  outDir?: string;
  /** The entry module, relative to root (default runner/entry/job.ts). */
  entry?: string;
}

const ENTRY = 'runner/entry/job.ts';

/** argv that runs the TypeScript entry through tsx (the fallback, and what tests may force). */
export function tsxRunnerCommand(root: string, entry = ENTRY): string[] {
  // s3rver's paged listings need the legacy OpenSSL provider in the runner too.
  return [process.execPath, '--openssl-legacy-provider', '--import', 'tsx', path.join(root, entry)];
}

/**
 * Our sources find files beside themselves through import.meta (the native addon's build folder,
 * Dawn's binary); in one bundle every module would see runner/dist instead. Each source keeps its
 * own location: import.meta.url, .dirname and .filename become that file's values.
 */
const ownImportMeta: Plugin = {
  name: 'own-import-meta',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      const contents = source
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents, loader: 'ts' };
    });
  },
};

async function upToDate(root: string, out: string, meta: string): Promise<boolean> {
  if (!existsSync(out) || !existsSync(meta)) return false;
  const built = (await stat(out)).mtimeMs;
  const inputs = Object.keys((JSON.parse(await readFile(meta, 'utf8')) as { inputs: object }).inputs);
  for (const input of inputs) {
    const s = await stat(path.join(root, input)).catch(() => undefined);
    if (!s || s.mtimeMs > built) return false;
  }
  return true;
}

/** Builds the runner bundle when stale and returns how to run one job. */
export async function runnerCommand(root: string, opts: RunnerBundleOptions = {}): Promise<RunnerCommand> {
  const entry = opts.entry ?? ENTRY;
  const outDir = opts.outDir ?? path.join(root, 'runner/dist');
  const out = path.join(outDir, 'job.mjs');
  const meta = path.join(outDir, 'job.meta.json');
  // No --enable-source-maps: parsing the 20 MB map costs the runner more start-up time than the
  // bundle saves (job.mjs.map is there for `node --enable-source-maps` when debugging).
  const command = [process.execPath, '--openssl-legacy-provider', out];
  try {
    if (await upToDate(root, out, meta)) return { command, how: 'reused' };
    const { build } = await import('esbuild');
    // Built in a folder of its own, then moved beside the others: the map's name stays job.mjs.map.
    const tmpDir = path.join(outDir, `.build-${process.pid}`);
    const tmp = path.join(tmpDir, 'job.mjs');
    await mkdir(tmpDir, { recursive: true });
    try {
      const result = await build({
        absWorkingDir: root,
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: `node${process.versions.node.split('.')[0]}`,
        outfile: tmp,
        sourcemap: 'linked',
        metafile: true,
        logLevel: 'silent',
        plugins: [ownImportMeta],
        // CommonJS packages inside an ESM bundle still call require() (the native addons, tfjs).
        banner: {
          js: "import { createRequire as __tpRequire } from 'node:module'; const require = __tpRequire(import.meta.url);",
        },
      });
      await writeFile(meta, JSON.stringify({ inputs: result.metafile.inputs }));
      await rename(`${tmp}.map`, `${out}.map`);
      await rename(tmp, out);
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
    return { command, how: 'built' };
  } catch (err) {
    // esbuild's own message is only "Build failed with 1 error"; its first error says which.
    const first = (err as { errors?: { text: string }[] }).errors?.[0]?.text;
    return {
      command: tsxRunnerCommand(root, entry),
      how: `tsx (no runner bundle: ${first ?? (err as Error).message.split('\n')[0]})`,
    };
  }
}
