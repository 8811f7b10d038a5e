/**
 * How every Lambda is bundled, in one place: the stack (NodejsFunction) and the cold-start
 * benchmark (esbuild's API) both derive their options from `lambdaBundle`, so what we measure is
 * what we deploy.
 */
import type { BuildOptions } from 'esbuild';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

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
   * The AWS SDK v3 is left out: the Lambda Node.js 22 runtime ships it, and leaving it out takes the
   * API bundle from ~1.35 MB to ~0.8 MB (`npm run bench:coldstart` prints the figures). The cost is
   * running on the runtime's SDK version rather than our lock file's; our adapters use nothing
   * newer than what that runtime carries. Bundle it (empty this list) to pin the SDK instead.
   */
  external: ['@aws-sdk/*'] as string[],
  /** Some CommonJS dependencies call `require` for Node built-ins; ESM bundles need it defined. */
  banner:
    "import { createRequire as __tuneplaneCreateRequire } from 'node:module';" +
    'const require = __tuneplaneCreateRequire(import.meta.url);',
} as const;

/** Set on every function so the source maps above are used in stack traces. */
export const lambdaNodeOptions = '--enable-source-maps';

/** NodejsFunction's spelling of `lambdaBundle`. */
export function nodejsBundling(): BundlingOptions {
  return {
    target: lambdaBundle.target,
    format: OutputFormat.ESM,
    minify: lambdaBundle.minify,
    sourceMap: lambdaBundle.sourcemap,
    sourcesContent: lambdaBundle.sourcesContent,
    mainFields: [...lambdaBundle.mainFields],
    externalModules: [...lambdaBundle.external],
    banner: lambdaBundle.banner,
  };
}

/** esbuild's spelling of `lambdaBundle` (same flags NodejsFunction passes to the esbuild CLI). */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
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
  };
}
