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
   * The AWS SDK v3 is NOT marked external: we ship the exact SDK version our tests ran against
   * (the runtime's copy lags and changes under us, e.g. S3 checksum defaults), and bundled,
   * tree-shaken SDK code loads faster than resolving hundreds of files from the runtime's
   * node_modules. `npm run bench:coldstart` prints both sizes; see infra/aws/README.md.
   */
  external: [] as string[],
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
    bundleAwsSDK: lambdaBundle.external.length === 0,
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
