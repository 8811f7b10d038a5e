/**
 * The OpenAI provider for the Lambdas: the client is built on first use from the key in Secrets
 * Manager (and rebuilt when the operator changes the key), so a cold start that never touches
 * OpenAI never fetches the secret — nor loads the OpenAI SDK: it is imported dynamically, which
 * the bundler turns into a separate chunk (infra/aws/bundling.ts).
 */
import type { OpenAiSecret, SecretSource } from '../../config';
import { ProviderRejectedError } from '../../errors';
import type { openAiDispatcher } from '../../adapters/openai/dispatcher';
import type { ProviderMirror } from '../../domain/dispatch';
import type { BlobStore } from '../../ports/blobs';
import type { Dispatcher } from '../../ports/dispatcher';
import type { FileStore } from '../../ports/store';

export type LazyOpenAi = Dispatcher &
  ProviderMirror & {
    /** False while the secret holds no API key (the stack creates it empty). */
    configured(): Promise<boolean>;
  };

export function lazyOpenAi(
  secret: SecretSource<OpenAiSecret>,
  deps: { files: FileStore; blobs: BlobStore },
): LazyOpenAi {
  let built: { apiKey: string; provider: ReturnType<typeof openAiDispatcher> } | undefined;
  async function provider() {
    const { apiKey } = await secret();
    if (!apiKey) {
      throw new ProviderRejectedError(
        'The OpenAI provider is not configured on this deployment (its API key secret is empty).',
      );
    }
    if (built?.apiKey !== apiKey) {
      const [{ default: OpenAI }, adapter] = await Promise.all([
        import('openai'),
        import('../../adapters/openai/dispatcher'),
      ]);
      built = { apiKey, provider: adapter.openAiDispatcher({ client: new OpenAI({ apiKey }), ...deps }) };
    }
    return built.provider;
  }
  return {
    configured: async () => !!(await secret()).apiKey,
    submit: async (job) => (await provider()).submit(job),
    cancel: async (job) => (await provider()).cancel(job),
    pause: async (job) => (await provider()).pause?.(job),
    resume: async (job) => (await provider()).resume?.(job),
    retrieve: async (id) => (await provider()).retrieve(id),
    events: async (id) => (await provider()).events(id),
    checkpoints: async (id) => (await provider()).checkpoints(id),
  };
}
