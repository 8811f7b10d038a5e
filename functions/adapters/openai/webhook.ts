/**
 * Verifying OpenAI's webhooks. Kept apart from the dispatcher so the API's cold start does not
 * load the OpenAI SDK: this needs only a client instance, which the composition root supplies.
 */
import type OpenAI from 'openai';

/**
 * Verifies an OpenAI webhook (Standard Webhooks signature with our endpoint's secret) and returns
 * the OpenAI job id it is about, or null for event types we do not mirror.
 */
export async function openAiWebhookJobId(
  client: OpenAI,
  rawBody: string,
  headers: Record<string, string>,
  secret: string,
): Promise<string | null> {
  const event = await client.webhooks.unwrap(rawBody, headers, secret);
  if (!event.type.startsWith('fine_tuning.job.')) return null;
  return (event.data as { id: string }).id;
}
