/**
 * The API's routes in groups, one per resource, each loaded on the first request to its prefix.
 *
 * Why: a Lambda cold start pays to parse and run every module it imports. Eagerly, that was the
 * whole contract (every zod schema with its OpenAPI metadata) and every domain service, whichever
 * route the instance was started for. Now a cold start loads the middleware chain (auth, body
 * limits, idempotency) and then only the group it serves; `npm run bench:coldstart` measures it.
 *
 * A group is served by its own OpenAPIHono sub-app (the same validators, error envelope and
 * 404 as before). The main app hands it the request after the middleware ran, with the context
 * variables the middleware set (the tenant), and the already-read body when a middleware
 * consumed it (idempotency fingerprints the body).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { RouteGroupName } from '../../openapi/routes';
import type { ApiContext } from './context';
import type { AppDeps } from './deps';
import type { ApiEnv } from './env';

export interface RouteGroup {
  name: string;
  /** The contract's group of operations it serves (openapi/routes); null for routes outside the public API. */
  contract: RouteGroupName | null;
  /** Paths served: each prefix itself and everything under it. */
  prefixes: string[];
  /** Loads the group's module and registers its routes on `app`. */
  register(app: OpenAPIHono<ApiEnv>, ctx: ApiContext): Promise<void>;
}

/** The groups the deps ask for, in the order the OpenAPI document lists them. */
export function routeGroups(deps: AppDeps): RouteGroup[] {
  const groups: RouteGroup[] = [
    {
      name: 'files',
      contract: 'files',
      prefixes: ['/v1/files'],
      register: async (app, ctx) => (await import('./routes/files')).registerFileRoutes(app, ctx),
    },
    {
      name: 'uploads',
      contract: 'uploads',
      prefixes: ['/v1/uploads'],
      register: async (app, ctx) => (await import('./routes/uploads')).registerUploadRoutes(app, ctx),
    },
    {
      name: 'jobs',
      contract: 'jobs',
      prefixes: ['/v1/fine_tuning/jobs'],
      register: async (app, ctx) => (await import('./routes/jobs')).registerJobRoutes(app, ctx),
    },
    {
      name: 'models',
      contract: 'models',
      prefixes: ['/v1/models'],
      register: async (app, ctx) => (await import('./routes/models')).registerModelRoutes(app, ctx),
    },
    {
      name: 'graders',
      contract: 'graders',
      prefixes: ['/v1/fine_tuning/alpha/graders'],
      register: async (app, ctx) => (await import('./routes/evals-graders')).registerGraderRoutes(app, ctx),
    },
  ];
  const { webhooks, sweeps, providers, inference, evals } = deps;
  if (inference) {
    groups.push({
      name: 'inference',
      contract: 'inference',
      prefixes: ['/v1/chat/completions', '/v1/completions'],
      register: async (app, ctx) =>
        (await import('./routes/inference')).registerInferenceRoutes(app, ctx, inference),
    });
  }
  if (webhooks) {
    groups.push({
      name: 'webhook endpoints',
      contract: 'webhookEndpoints',
      prefixes: ['/v1/webhook_endpoints'],
      register: async (app, ctx) =>
        (await import('./routes/webhook-endpoints')).registerWebhookEndpointRoutes(app, ctx, webhooks),
    });
  }
  if (sweeps) {
    groups.push({
      name: 'sweeps',
      contract: 'sweeps',
      prefixes: ['/v1/fine_tuning/sweeps'],
      register: async (app, ctx) => (await import('./routes/sweeps')).registerSweepRoutes(app, ctx, sweeps),
    });
  }
  if (evals) {
    groups.push(
      {
        name: 'evals',
        contract: 'evals',
        prefixes: ['/v1/evals'],
        register: async (app, ctx) => (await import('./routes/evals')).registerEvalRoutes(app, ctx, evals),
      },
      {
        name: 'eval reports',
        contract: 'evalReports',
        prefixes: ['/v1/eval_reports'],
        register: async (app) => (await import('./routes/evals-report')).registerEvalReportRoutes(app, evals),
      },
    );
  }
  if (providers) {
    groups.push({
      name: 'providers',
      contract: null,
      prefixes: ['/v1/providers'],
      register: async (app, ctx) =>
        (await import('./routes/providers')).registerProviderRoutes(app, ctx, providers),
    });
  }
  return groups;
}
