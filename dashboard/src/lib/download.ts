/** Downloads through the API (the key goes in a header, so a plain link cannot fetch the file). */
import {
  listModelFiles,
  retrieveFineTuningJobCheckpointWeights,
  retrieveModelFileContent,
} from '../../../openapi/sdk/sdk.gen';
import type { ModelFileName } from '../../../openapi/sdk/types.gen';
import { api, unwrap } from './api';
import { actionButton, h } from './dom';

function save(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** One button per file of a model in the Hugging Face layout. */
export async function modelDownloads(model: string): Promise<HTMLElement> {
  const files = await unwrap(listModelFiles({ client: api(), path: { model } }));
  return h(
    'span',
    { class: 'downloads' },
    files.data.map((f) =>
      actionButton(
        `${f.filename} (${(f.bytes / 1024).toFixed(0)} KB)`,
        async () => {
          const blob = await unwrap(
            retrieveModelFileContent({
              client: api(),
              path: { model, filename: f.filename as ModelFileName },
              parseAs: 'blob',
            }),
          );
          save(blob as Blob, f.filename);
        },
        { class: 'small', attrs: { 'aria-label': `Download ${f.filename} of ${model}` } },
      ),
    ),
  );
}

/** A checkpoint's weights (model.safetensors); its config and tokenizer are the base model's. */
export function checkpointDownload(jobId: string, checkpointId: string, step: number): HTMLButtonElement {
  return actionButton(
    'weights',
    async () => {
      const blob = await unwrap(
        retrieveFineTuningJobCheckpointWeights({
          client: api(),
          path: { fine_tuning_job_id: jobId, checkpoint_id: checkpointId },
          parseAs: 'blob',
        }),
      );
      save(blob as Blob, `${checkpointId}.safetensors`);
    },
    { class: 'small', attrs: { 'aria-label': `Download the weights of the checkpoint at step ${step}` } },
  );
}
