/**
 * The OpenAPI 3.1 document, generated from the app itself (its routes are the contract's
 * `createRoute` definitions), so the document cannot describe routes the app does not serve.
 * Building it needs no storage: the app's dependencies are only used by handlers, so here they
 * are placeholders that refuse any use.
 */
import type { AppDeps } from './deps';
import { createApp } from './app';
import { OPENAPI_INFO } from './openapi-info';

function refuse(name: string): never {
  throw new Error(`${name} is not available while generating the OpenAPI document`);
}

/** An object whose every property is a function that throws: handlers never run during generation. */
function placeholder<T>(name: string): T {
  return new Proxy({}, { get: (_t, prop) => (prop === 'then' ? undefined : () => refuse(`${name}.${String(prop)}`)) }) as T;
}

/** The app with placeholder dependencies: enough to describe and route, never to handle. */
export function documentationApp() {
  const stores = new Proxy({}, { get: (_t, prop) => placeholder(`stores.${String(prop)}`) }) as AppDeps['stores'];
  return createApp({
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
  });
}

export function buildOpenApiDocument(): Record<string, unknown> {
  return documentationApp().getOpenAPI31Document(OPENAPI_INFO) as unknown as Record<string, unknown>;
}

/** The committed form: stable key order as produced, two-space indent, trailing newline. */
export function serializeOpenApiDocument(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
