/**
 * The OpenAPI 3.1 document, generated from the app itself (its routes are the contract's
 * `createRoute` definitions), so the document cannot describe routes the app does not serve.
 * Building it needs no storage: the app's dependencies are only used by handlers, so here they
 * are placeholders that refuse any use.
 */
import { apiContext, type ApiContext } from './context';
import type { AppDeps } from './deps';
import { envelope, errorHandler } from './errors';
import { groupApp } from './group-app';
import { OPENAPI_INFO } from './openapi-info';
import { routeGroups, type RouteGroup } from './route-groups';

function refuse(name: string): never {
  throw new Error(`${name} is not available while generating the OpenAPI document`);
}

/** An object whose every property is a function that throws: handlers never run during generation. */
function placeholder<T>(name: string): T {
  return new Proxy(
    {},
    { get: (_t, prop) => (prop === 'then' ? undefined : () => refuse(`${name}.${String(prop)}`)) },
  ) as T;
}

/** Dependencies that are enough to describe and route, never to handle. */
export function documentationDeps(): AppDeps {
  const stores = new Proxy(
    {},
    { get: (_t, prop) => placeholder(`stores.${String(prop)}`) },
  ) as AppDeps['stores'];
  return {
    stores,
    blobs: placeholder('blobs'),
    clock: placeholder('clock'),
    ids: placeholder('ids'),
    webhooks: {
      stores: new Proxy({}, { get: (_t, prop) => placeholder(`webhooks.stores.${String(prop)}`) }) as never,
      secrets: placeholder('webhooks.secrets'),
      checkUrl: () => refuse('webhooks.checkUrl'),
    },
    sweeps: { store: placeholder('sweeps.store') },
  };
}

/** The document of the given route groups (all of them loaded, in order), as served at /openapi.json. */
export async function openApiDocument(
  groups: RouteGroup[],
  ctx: ApiContext,
): Promise<Record<string, unknown>> {
  const app = groupApp({
    onError: errorHandler(ctx.logger),
    notFound: (c) =>
      envelope(c, 404, {
        message: 'Not found',
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      }),
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'API key: `Authorization: Bearer <key>`.',
  });
  for (const group of groups) await group.register(app, ctx);
  return app.getOpenAPI31Document(OPENAPI_INFO) as unknown as Record<string, unknown>;
}

/** The committed document: every route group the API can mount. */
export async function buildOpenApiDocument(): Promise<Record<string, unknown>> {
  const deps = documentationDeps();
  return openApiDocument(routeGroups(deps), apiContext(deps));
}

/** The committed form: stable key order as produced, two-space indent, trailing newline. */
export function serializeOpenApiDocument(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
