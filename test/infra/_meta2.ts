import { buildSync } from 'esbuild';
import { esbuildOptions } from '../../infra/aws/bundling';
const o = esbuildOptions('functions/handlers/api.ts', '/tmp/meta-out/index.mjs');
o.external = ['@aws-sdk/*', '@smithy/*'];
const r = buildSync({ ...o, metafile: true, logLevel: 'silent' });
const out = Object.values(r.metafile!.outputs).find((x) => x.entryPoint)!;
const files = Object.entries(out.inputs).filter(([f]) => f.includes('zod') || f.includes('openai')).sort((a,b)=>b[1].bytesInOutput-a[1].bytesInOutput);
let loc=0; for (const [f,v] of files) { if (f.includes('/locales/')) loc+=v.bytesInOutput; }
console.log('locales bytes', loc);
for (const [f, v] of files.slice(0, 15)) console.log(v.bytesInOutput, f);
