/**
 * Built-in base models: every folder under runner/base-models/<name>/ holding a Hugging Face
 * layout (config.json, model.safetensors, tokenizer.json, …) becomes a system model `<name>`,
 * copied to the blob store under models/<name>/. Runs at every start and only copies what is
 * missing or changed in size, so restarts are cheap.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../../functions/ports/blobs';
import type { Clock } from '../../functions/ports/clock';
import type { ModelStore } from '../../functions/ports/store';

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
};

async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.posix.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

export async function registerBaseModels(
  deps: { models: ModelStore; blobs: BlobStore; clock: Clock },
  baseModelsDir: string,
): Promise<string[]> {
  if (!existsSync(baseModelsDir)) return [];
  const registered: string[] = [];
  for (const entry of await readdir(baseModelsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(baseModelsDir, entry.name);
    if (!existsSync(path.join(dir, 'config.json'))) continue;
    const id = entry.name;
    const prefix = `models/${id}/`;
    // Weights before config.json: a reader that sees the config can rely on the rest being there.
    const files = (await filesUnder(dir)).sort(
      (a, b) => Number(a === 'config.json') - Number(b === 'config.json'),
    );
    for (const rel of files) {
      const local = await stat(path.join(dir, rel));
      const remote = await deps.blobs.head(prefix + rel);
      if (remote?.bytes === local.size) continue;
      const type = CONTENT_TYPES[path.extname(rel)] ?? 'application/octet-stream';
      await deps.blobs.put(prefix + rel, await readFile(path.join(dir, rel)), type);
    }
    if (!(await deps.models.get('system', id))) {
      await deps.models.put({
        id,
        tenantId: 'system',
        createdAt: Math.floor(deps.clock.nowMs() / 1000),
        ownedBy: 'tuneplane',
        jobId: null,
        blobPrefix: prefix,
      });
    }
    registered.push(id);
  }
  return registered;
}
