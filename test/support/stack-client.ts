/**
 * Requests to an embedded stack (infra/local/stack) as its end-to-end tests make them: JSON calls
 * and file uploads with one API key. `baseUrl` is read on every call, so a test that restarts its
 * stack keeps the same client.
 */
import { expect } from 'vitest';

export interface StackClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** Uploads a fine-tuning file and returns its id (the upload must succeed). */
  upload(name: string, content: string): Promise<string>;
}

export function stackClient(baseUrl: () => string, apiKey: string): StackClient {
  return {
    async call(method, path, body) {
      const res = await fetch(baseUrl() + path, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, json: await res.json() };
    },
    async upload(name, content) {
      const form = new FormData();
      form.append('purpose', 'fine-tune');
      form.append('file', new File([content], name, { type: 'application/jsonl' }));
      const res = await fetch(`${baseUrl()}/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
        body: form,
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { id: string }).id;
    },
  };
}
