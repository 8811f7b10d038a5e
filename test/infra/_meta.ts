import { buildSync } from 'esbuild';
import { esbuildOptions } from '../../infra/aws/bundling';
const ext = process.argv[2] === 'ext';
const o = esbuildOptions('functions/handlers/api.ts', '/tmp/meta-out/index.mjs');
if (ext) o.external = ['@aws-sdk/*', '@smithy/*'];
const r = buildSync({ ...o, metafile: true, logLevel: 'silent' });
const out = Object.values(r.metafile!.outputs).find((x) => x.entryPoint)!;
const by: Record<string, number> = {};
for (const [f, v] of Object.entries(out.inputs)) {
  const m = f.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
  const k = m ? m[1] : f.split('/').slice(0, 2).join('/');
  by[k] = (by[k] ?? 0) + v.bytesInOutput;
}
console.log('total', out.bytes);
for (const [k, v] of Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(v, k);
