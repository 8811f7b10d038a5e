/** API Gateway (HTTP API, payload 2.0) events, as the API Lambda receives them. */

export interface HttpEventBody {
  text: string;
  /** API Gateway base64-encodes binary bodies (multipart uploads among them). */
  base64?: boolean;
}

export function httpEvent(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: HttpEventBody,
) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'api.example.com', ...headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 0,
    },
    ...(body ? { body: body.text, isBase64Encoded: Boolean(body.base64) } : { isBase64Encoded: false }),
  };
}

/** Ten prompt/completion examples: the smallest training file the API accepts. */
export const TRAINING_JSONL = Array.from(
  { length: 10 },
  (_, i) => JSON.stringify({ prompt: `${i}+${i}=`, completion: String(2 * i) }) + '\n',
).join('');

/** `POST /v1/files` with `TRAINING_JSONL` as `train.jsonl`, multipart and base64 as API Gateway sends it. */
export async function fileUploadEvent(headers: Record<string, string>) {
  const form = new FormData();
  form.append('purpose', 'fine-tune');
  form.append('file', new Blob([TRAINING_JSONL]), 'train.jsonl');
  const multipart = new Response(form);
  return httpEvent(
    'POST',
    '/v1/files',
    { ...headers, 'content-type': multipart.headers.get('content-type')! },
    { text: Buffer.from(await multipart.arrayBuffer()).toString('base64'), base64: true },
  );
}
