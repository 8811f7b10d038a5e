/**
 * Builds the dashboard (dashboard/src) with esbuild into static files: index.html, one JS bundle
 * and one stylesheet, their names carrying a content hash so they can be cached forever.
 *
 * `npm start` builds in memory on every start (a few hundred ms) and serves the result, so what it
 * serves always matches the source and no built file lives in git; the CDK app and the bench write
 * the files to a folder. The hyperparameter form's help text comes from the OpenAPI document: the
 * `tuneplane:contract` module holds the schemas the dashboard reads, picked from openapi.json at
 * build time (the whole document is 230 KB).
 */
import { readFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'esbuild';

const here = import.meta.dirname;
const SPEC = path.join(here, '..', 'openapi', 'openapi.json');
/** The schemas the dashboard reads from the contract, with everything they reference. */
const CONTRACT_ROOTS = ['Hyperparameters', 'Provider', 'WebhookEventType'];

export interface BuiltFile {
  /** Path relative to the site root, without a leading slash (`index.html`, `app-3F2A.js`). */
  name: string;
  contents: Uint8Array;
  contentType: string;
}

export interface BuiltDashboard {
  files: BuiltFile[];
  /** Gzipped size (level 9) of all JavaScript, in bytes. */
  jsGzipBytes: number;
}

type Json = Record<string, unknown>;

/** `components.schemas` reduced to the roots and the schemas they reference, transitively. */
export function pickSchemas(doc: Json, roots: string[]): Record<string, Json> {
  const all = (doc.components as { schemas: Record<string, Json> }).schemas;
  const picked: Record<string, Json> = {};
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') add(v.split('/').at(-1)!);
      else visit(v);
    }
  };
  const add = (name: string) => {
    if (picked[name]) return;
    if (!all[name]) throw new Error(`openapi.json has no schema ${name}`);
    picked[name] = all[name];
    visit(all[name]);
  };
  roots.forEach(add);
  return picked;
}

function contractPlugin(): Plugin {
  return {
    name: 'tuneplane-contract',
    setup(b) {
      b.onResolve({ filter: /^tuneplane:contract$/ }, () => ({ path: SPEC, namespace: 'contract' }));
      b.onLoad({ filter: /.*/, namespace: 'contract' }, async () => {
        const doc = JSON.parse(await readFile(SPEC, 'utf8')) as Json;
        return {
          contents: JSON.stringify(pickSchemas(doc, CONTRACT_ROOTS)),
          loader: 'json',
          watchFiles: [SPEC],
        };
      });
    },
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export async function buildDashboard(opts: { minify?: boolean } = {}): Promise<BuiltDashboard> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { app: path.join(here, 'src', 'main.ts') },
    bundle: true,
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari16'],
    minify: opts.minify ?? true,
    entryNames: '[name]-[hash]',
    outdir: '/',
    write: false,
    metafile: false,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [contractPlugin()],
  });
  const files: BuiltFile[] = result.outputFiles.map((f) => ({
    name: path.basename(f.path),
    contents: f.contents,
    contentType: TYPES[path.extname(f.path)] ?? 'application/octet-stream',
  }));
  const js = files.find((f) => f.name.endsWith('.js'));
  const css = files.find((f) => f.name.endsWith('.css'));
  if (!js || !css) throw new Error('the dashboard build produced no script or no stylesheet');
  const html = (await readFile(path.join(here, 'src', 'index.html'), 'utf8'))
    .replace('%APP_JS%', js.name)
    .replace('%APP_CSS%', css.name);
  files.unshift({
    name: 'index.html',
    contents: new TextEncoder().encode(html),
    contentType: TYPES['.html'],
  });
  const jsGzipBytes = files
    .filter((f) => f.name.endsWith('.js'))
    .reduce((n, f) => n + gzipSync(f.contents, { level: 9 }).byteLength, 0);
  return { files, jsGzipBytes };
}

/** Writes a build to `outDir` (emptied first). */
export async function writeDashboard(outDir: string, built?: BuiltDashboard): Promise<BuiltDashboard> {
  const b = built ?? (await buildDashboard());
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  for (const f of b.files) await writeFile(path.join(outDir, f.name), f.contents);
  return b;
}

// `npm run build:dashboard [outDir]`: writes the static site (default dashboard/dist).
if (process.argv[1] && path.resolve(process.argv[1]) === path.join(here, 'build.ts')) {
  const outDir = path.resolve(process.argv[2] ?? path.join(here, 'dist'));
  const b = await writeDashboard(outDir);
  console.log(
    `wrote ${b.files.map((f) => f.name).join(', ')} to ${outDir} (JS ${(b.jsGzipBytes / 1024).toFixed(1)} KB gzipped)`,
  );
}
