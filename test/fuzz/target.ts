/**
 * What the fuzzer runs against: the app on the embedded stack (dynalite, s3rver) served by the
 * local stack's own HTTP server on loopback, with a few real resources in the fuzzed tenant (a
 * file, a job, a webhook endpoint) so that requests naming them get past the lookup.
 */
import { chatJsonl } from '../api/data';
import { BASE_MODEL, startApi, type ApiHarness } from '../api/support';
import type { KnownIds, OpenApiDoc } from '../support/fuzz';

export interface FuzzTarget {
  api: ApiHarness;
  baseUrl: string;
  doc: OpenApiDoc;
  known: KnownIds;
  close(): Promise<void>;
}

export async function startFuzzTarget(): Promise<FuzzTarget> {
  const api = await startApi();
  const server = await api.listen();
  try {
    const file = (await (await api.upload(chatJsonl(12))).json()) as { id: string };
    const job = (await (
      await api.call('POST', '/v1/fine_tuning/jobs', { json: { model: BASE_MODEL, training_file: file.id } })
    ).json()) as { id: string };
    const endpoint = (await (
      await api.call('POST', '/v1/webhook_endpoints', { json: { url: 'https://example.com/hooks' } })
    ).json()) as { id: string };
    const doc = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as OpenApiDoc;
    const known: KnownIds = {
      file_id: [file.id],
      fine_tuning_job_id: [job.id],
      endpoint_id: [endpoint.id],
      model: [BASE_MODEL],
      after: [file.id, job.id],
      training_file: [file.id],
    };
    return {
      api,
      baseUrl: server.baseUrl,
      doc,
      known,
      close: async () => {
        await server.close();
        await api.stop();
      },
    };
  } catch (err) {
    await server.close();
    await api.stop();
    throw err;
  }
}
