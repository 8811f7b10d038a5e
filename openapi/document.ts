/**
 * The OpenAPI 3.1 document, built from the contract alone: the route definitions of
 * openapi/routes and the schemas they name. `npm run openapi` commits it (openapi/openapi.json);
 * the app serves it at /openapi.json for the route groups it mounts. That the app serves exactly
 * these operations is checked by test/api/openapi-drift.test.ts.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { ROUTE_GROUP_NAMES, ROUTE_GROUPS, type RouteGroupName } from './routes';

/** The document's header. */
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

/** The document of the given route groups (default: all), always in the contract's order. */
export function openApiDocument(
  groups: readonly RouteGroupName[] = ROUTE_GROUP_NAMES,
): Record<string, unknown> {
  // Used for its registry and generator only: no handler is registered, nothing is served.
  const doc = new OpenAPIHono();
  doc.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'API key: `Authorization: Bearer <key>`.',
  });
  for (const name of ROUTE_GROUP_NAMES.filter((n) => groups.includes(n))) {
    for (const route of ROUTE_GROUPS[name]) doc.openAPIRegistry.registerPath(route);
  }
  return doc.getOpenAPI31Document(OPENAPI_INFO) as unknown as Record<string, unknown>;
}

/** The committed form: stable key order as produced, two-space indent, trailing newline. */
export function serializeOpenApiDocument(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
