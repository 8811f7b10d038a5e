/**
 * Every operation of the API, by route group, in the order the OpenAPI document lists them
 * (openapi/document.ts builds it from this alone). The app serves each group from its own module
 * (functions/api/routes) and test/api/openapi-drift.test.ts checks it serves exactly these.
 */
import type { RouteConfig } from '@hono/zod-openapi';
import { evalReportRoutes, evalRoutes } from './evals';
import { graderRoutes } from './evals-graders';
import { fileRoutes } from './files';
import { inferenceRoutes } from './inference';
import { jobRoutes } from './jobs';
import { modelRoutes } from './models';
import { sweepRoutes } from './sweeps';
import { uploadRoutes } from './uploads';
import { webhookEndpointRoutes } from './webhook-endpoints';

export * from './common';
export * from './files';
export * from './uploads';
export * from './jobs';
export * from './models';
export * from './webhook-endpoints';
export * from './sweeps';
export * from './inference';
export * from './evals-graders';
export * from './evals';

export const ROUTE_GROUPS = {
  files: fileRoutes,
  uploads: uploadRoutes,
  jobs: jobRoutes,
  models: modelRoutes,
  inference: inferenceRoutes,
  webhookEndpoints: webhookEndpointRoutes,
  sweeps: sweepRoutes,
  graders: graderRoutes,
  evals: evalRoutes,
  evalReports: evalReportRoutes,
} as const satisfies Record<string, readonly RouteConfig[]>;

export type RouteGroupName = keyof typeof ROUTE_GROUPS;
export const ROUTE_GROUP_NAMES = Object.keys(ROUTE_GROUPS) as RouteGroupName[];
