/** The document's header, shared by the served /openapi.json and the generator script. */
export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Tuneplane API',
    version: '0.1.0',
    description:
      'OpenAI-compatible model tuning: files, uploads, fine-tuning jobs (with a dry-run estimate), models. ' +
      'Errors use the envelope {error:{message,type,param,code}}; every POST accepts Idempotency-Key.',
  },
  servers: [{ url: 'http://localhost:8787', description: 'npm start (embedded stack)' }],
};
