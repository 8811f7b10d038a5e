/**
 * A run's rows, in order, from inline content or a JSONL file streamed from the blob store (never
 * whole in memory). A file line is `{"item": {…}, "sample": {…}}` as OpenAI's eval files are, or a
 * bare object, which becomes the item (so a fine-tuning file can be evaluated as it is). Blank lines
 * are skipped; a line that is not a JSON object, or an item that breaks the eval's item schema, is
 * still a row — graded as an error that says why.
 */
import type { Validator } from '@cfworker/json-schema';
import type { RunDataSource } from '../../../../openapi/schemas/eval-run';
import { NotFoundError } from '../../../errors';
import type { BlobStore } from '../../../ports/blobs';
import type { FileStore } from '../../../ports/store';
import type { TenantId } from '../../records';
import { readLines } from '../../files/lines';
import { itemProblem } from '../definition';
import type { Row } from './output-items';

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

function rowOf(index: number, value: unknown, validator: Validator): Row {
  if (!isObject(value)) return { index, item: {}, problem: `row ${index}: not a JSON object` };
  const wrapped = isObject(value.item);
  const item = wrapped ? (value.item as Record<string, unknown>) : value;
  const sample = wrapped && isObject(value.sample) ? value.sample : undefined;
  const problem = itemProblem(validator, item);
  return problem
    ? { index, item, sample, problem: `row ${index} does not match the eval's item schema: ${problem}` }
    : { index, item, sample };
}

export async function* runRows(
  deps: { stores: { files: FileStore }; blobs: BlobStore },
  tenantId: TenantId,
  ds: RunDataSource,
  validator: Validator,
  from: number,
): AsyncGenerator<Row> {
  const source = ds.source;
  if (source.type === 'file_content') {
    for (let i = from; i < source.content.length; i++) {
      const r = source.content[i];
      yield rowOf(i, { item: r.item, ...(r.sample ? { sample: r.sample } : {}) }, validator);
    }
    return;
  }
  const file = await deps.stores.files.get(tenantId, source.id);
  if (!file || file.deleted) throw new NotFoundError('file', source.id, 'data_source.source.id');
  let index = 0;
  for await (const [, line] of readLines(await deps.blobs.getStream(file.blobKey))) {
    if (!line.trim()) continue;
    if (index >= from) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        yield { index, item: {}, problem: `row ${index}: not valid JSON` };
        index++;
        continue;
      }
      yield rowOf(index, value, validator);
    }
    index++;
  }
}
