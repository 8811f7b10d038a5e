/**
 * Every operation of the API, by route group, in the order the OpenAPI document lists them
 * (openapi/document.ts builds it from this alone). The app serves each group from its own module
 * (functions/api/routes) and test/api/openapi-drift.test.ts checks it serves exactly these.
 */
import type { RouteConfig } from '@hono/zod-openapi';
import {
  createFileRoute,
  deleteFileRoute,
  fileContentRoute,
  listFilesRoute,
  retrieveFileRoute,
} from './files';
import {
  cancelJobRoute,
  checkpointWeightsRoute,
  createJobRoute,
  estimateJobRoute,
  listJobCheckpointsRoute,
  listJobEventsRoute,
  listJobsRoute,
  pauseJobRoute,
  resumeJobRoute,
  retrieveJobRoute,
} from './jobs';
import {
  deleteModelRoute,
  listModelFilesRoute,
  listModelsRoute,
  modelFileContentRoute,
  retrieveModelRoute,
} from './models';
import {
  cancelSweepRoute,
  createSweepRoute,
  listSweepTrialsRoute,
  listSweepsRoute,
  pauseSweepRoute,
  resumeSweepRoute,
  retrieveSweepRoute,
} from './sweeps';
import {
  cancelUploadRoute,
  completeUploadRoute,
  createUploadRoute,
  retrieveUploadRoute,
  uploadPartsRoute,
} from './uploads';
import {
  createWebhookEndpointRoute,
  deleteWebhookEndpointRoute,
  disableWebhookEndpointRoute,
  listWebhookDeliveriesRoute,
  listWebhookEndpointsRoute,
  redeliverWebhookRoute,
  retrieveWebhookEndpointRoute,
  rotateWebhookSecretRoute,
  updateWebhookEndpointRoute,
} from './webhook-endpoints';

export * from './common';
export * from './files';
export * from './uploads';
export * from './jobs';
export * from './models';
export * from './webhook-endpoints';
export * from './sweeps';

export const ROUTE_GROUPS = {
  files: [createFileRoute, listFilesRoute, retrieveFileRoute, fileContentRoute, deleteFileRoute],
  uploads: [createUploadRoute, retrieveUploadRoute, uploadPartsRoute, completeUploadRoute, cancelUploadRoute],
  jobs: [
    estimateJobRoute,
    createJobRoute,
    listJobsRoute,
    retrieveJobRoute,
    cancelJobRoute,
    pauseJobRoute,
    resumeJobRoute,
    listJobEventsRoute,
    listJobCheckpointsRoute,
    checkpointWeightsRoute,
  ],
  models: [listModelsRoute, retrieveModelRoute, deleteModelRoute, listModelFilesRoute, modelFileContentRoute],
  webhookEndpoints: [
    createWebhookEndpointRoute,
    listWebhookEndpointsRoute,
    retrieveWebhookEndpointRoute,
    updateWebhookEndpointRoute,
    disableWebhookEndpointRoute,
    rotateWebhookSecretRoute,
    deleteWebhookEndpointRoute,
    listWebhookDeliveriesRoute,
    redeliverWebhookRoute,
  ],
  sweeps: [
    createSweepRoute,
    listSweepsRoute,
    retrieveSweepRoute,
    cancelSweepRoute,
    pauseSweepRoute,
    resumeSweepRoute,
    listSweepTrialsRoute,
  ],
} as const satisfies Record<string, readonly RouteConfig[]>;

export type RouteGroupName = keyof typeof ROUTE_GROUPS;
export const ROUTE_GROUP_NAMES = Object.keys(ROUTE_GROUPS) as RouteGroupName[];
