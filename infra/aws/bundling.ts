/**
 * How every Lambda is bundled, in one place: the stack (`lambdaCode`) and the cold-start benchmark
 * both call `bundleLambda`, so what we measure is exactly what we deploy.
 *
 * We drive esbuild's API ourselves rather than through NodejsFunction because we need a plugin
 * (`zodEnglishOnly`) that the esbuild CLI, which NodejsFunction shells out to, cannot take.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { BuildOptions, Plugin } from 'esbuild';

/**
 * zod 4 re-exports all ~40 of its error-message locales (`z.locales`), which esbuild cannot
 * tree-shake out of the namespace: a quarter of a megabyte of parse time on every cold start.
 * We only ever use English (zod's default), so the locales module is replaced by one exporting `en`.
 */
export const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}zod${sep}`)
        ? { path: join(args.resolveDir, '..', 'locales', 'index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * The Lambdas' config (functions/config) is parsed at every cold start with zod/mini, which
 * tree-shakes to ~20 KB. But the API's lazily loaded route groups use zod's classic API, and
 * esbuild's code splitting shares whole files: every zod core file both reach would move, whole,
 * into a chunk the cold start loads (~150 KB, ~10 ms here). So the config's zod/mini is bundled
 * from a copy of zod's files of its own (a separate esbuild namespace): tree-shaken, in the entry
 * chunk, and never shared. The two copies never meet: config schemas are only parsed by their own.
 */
export const configZodOfItsOwn: Plugin = {
  name: 'config-zod-of-its-own',
  setup(build) {
    const namespace = 'config-zod';
    const configDir = `${sep}functions${sep}config${sep}`;
    build.onResolve({ filter: /^zod\/mini$/ }, async (args) => {
      if (!args.importer.includes(configDir) || args.pluginData === namespace) return undefined;
      const found = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: namespace,
      });
      return found.errors.length ? { errors: found.errors } : { path: found.path, namespace };
    });
    // Inside zod every import is relative (`./core/index.js`): it stays in the copy.
    build.onResolve({ filter: /.*/, namespace }, (args) => ({
      path: resolve(args.resolveDir, args.path),
      namespace,
    }));
    build.onLoad({ filter: /.*/, namespace }, async (args) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

export const lambdaBundle = {
  target: 'node22',
  format: 'esm',
  minify: true,
  sourcemap: true,
  /** The map stays useful for stack traces (file + line) without shipping our sources a second time. */
  sourcesContent: false,
  /** ESM builds of our dependencies first: they tree-shake better. */
  mainFields: ['module', 'main'],
  /**
   * Nothing is external, the AWS SDK included, although the Lambda runtime ships one:
   *  - cold start: a bundled, tree-shaken SDK loads as a few chunks, while the runtime's copy is
   *    hundreds of CommonJS files resolved one by one (measured when the SDK was still on the API's
   *    cold path: importing it from node_modules was slower, though the bundle was smaller). The
   *    API now loads SDK clients only on first use (S3, Batch, Secrets Manager, OpenAI);
   *  - correctness: we run the SDK version our tests ran against (lock file), not whatever the
   *    runtime carries this month (S3 checksum defaults have changed under people before).
   */
  external: [] as string[],
  /** Some CommonJS dependencies call `require` for Node built-ins; ESM bundles need it defined. */
  banner:
    "import { createRequire as __tuneplaneCreateRequire } from 'node:module';" +
    'const require = __tuneplaneCreateRequire(import.meta.url);',
  plugins: [configZodOfItsOwn, zodEnglishOnly],
} as const;

/** Set on every function so the source maps above are used in stack traces. */
export const lambdaNodeOptions = '--enable-source-maps';

/**
 * esbuild options for one handler: `<outdir>/index.mjs` (the handler is `index.handler`) plus
 * chunks for what the handler imports dynamically (e.g. the OpenAI SDK, loaded on first use only).
 */
export function esbuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: { index: entry },
    outdir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: lambdaBundle.target,
    format: lambdaBundle.format,
    minify: lambdaBundle.minify,
    sourcemap: lambdaBundle.sourcemap,
    sourcesContent: lambdaBundle.sourcesContent,
    mainFields: [...lambdaBundle.mainFields],
    external: [...lambdaBundle.external],
    banner: { js: lambdaBundle.banner },
    plugins: [...lambdaBundle.plugins],
    logLevel: 'warning',
  };
}

/** Bundles `entry` into `outdir`; returns the path of the entry file (`index.mjs`). */
export async function bundleLambda(
  entry: string,
  outdir: string,
  overrides: Partial<BuildOptions> = {},
): Promise<string> {
  const { build } = await import('esbuild');
  await build({ ...esbuildOptions(entry, outdir), ...overrides });
  return join(outdir, 'index.mjs');
}

const here = dirname(fileURLToPath(import.meta.url));
const bundleCli = join(here, 'bundle-cli.ts');
const repoRootDir = join(here, '..', '..');

/**
 * Lambda code for a handler, bundled locally at synth time. CDK's local bundling hook is
 * synchronous and esbuild plugins need the async API, so the bundling runs in a child process
 * (`bundle-cli.ts`). Bundling never falls back to Docker: esbuild is a dev dependency.
 */
export function lambdaCode(entry: string): lambda.Code {
  return lambda.Code.fromAsset(dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('unused-local-bundling-only'),
      // Part of CDK's asset cache key: without it, every handler (same source folder, same
      // options) would be served the first handler's bundle.
      command: ['bundle', relative(repoRootDir, entry)],
      local: {
        tryBundle(outputDir: string): boolean {
          const run = spawnSync(process.execPath, ['--import', 'tsx', bundleCli, entry, outputDir], {
            stdio: ['ignore', 'inherit', 'inherit'],
          });
          if (run.status !== 0)
            throw new Error(`bundling ${entry} failed (exit ${run.status ?? run.signal})`);
          return true;
        },
      },
    },
  });
}
