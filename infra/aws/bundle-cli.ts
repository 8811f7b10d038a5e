/** `node --import tsx infra/aws/bundle-cli.ts <entry> <outdir>`: what `lambdaCode` runs at synth time. */
import { bundleLambda } from './bundling';

const [entry, outdir] = process.argv.slice(2);
if (!entry || !outdir) {
  console.error('usage: bundle-cli.ts <entry.ts> <outdir>');
  process.exit(2);
}
await bundleLambda(entry, outdir);
