import { createRoute } from '@hono/zod-openapi';
import {
  CheckpointListQuerySchema,
  CheckpointListSchema,
  CheckpointParamSchema,
} from '../schemas/checkpoint';
import { EstimateSchema } from '../schemas/estimate';
import { JobEventListQuerySchema, JobEventListSchema } from '../schemas/event';
import { JobMetricsQuerySchema, JobMetricsSchema } from '../schemas/metrics';
import {
  JobCreateSchema,
  JobIdParamSchema,
  JobListQuerySchema,
  JobListSchema,
  JobSchema,
} from '../schemas/job';
import { IdempotencyHeadersSchema, errorResponses, json, jsonBody, security } from './common';

const tags = ['Fine-tuning'];

export const createJobRoute = createRoute({
  operationId: 'createFineTuningJob',
  method: 'post',
  path: '/v1/fine_tuning/jobs',
  tags,
  security,
  request: { headers: IdempotencyHeadersSchema, body: jsonBody(JobCreateSchema) },
  responses: { 200: json(JobSchema, 'The job, its hyperparameters resolved.'), ...errorResponses },
});

export const estimateJobRoute = createRoute({
  operationId: 'estimateFineTuningJob',
  method: 'post',
  path: '/v1/fine_tuning/jobs/estimate',
  tags,
  security,
  summary: 'Dry run: resolve and explain every auto, count the data, size the run. Creates nothing.',
  request: { headers: IdempotencyHeadersSchema, body: jsonBody(JobCreateSchema) },
  responses: { 200: json(EstimateSchema, 'The estimate.'), ...errorResponses },
});

export const listJobsRoute = createRoute({
  operationId: 'listFineTuningJobs',
  method: 'get',
  path: '/v1/fine_tuning/jobs',
  tags,
  security,
  request: { query: JobListQuerySchema },
  responses: { 200: json(JobListSchema, 'Jobs, newest first.'), ...errorResponses },
});

export const retrieveJobRoute = createRoute({
  operationId: 'retrieveFineTuningJob',
  method: 'get',
  path: '/v1/fine_tuning/jobs/{fine_tuning_job_id}',
  tags,
  security,
  request: { params: JobIdParamSchema },
  responses: { 200: json(JobSchema, 'The job.'), ...errorResponses },
});

const action = (name: 'cancel' | 'pause' | 'resume', operationId: string, summary: string) =>
  createRoute({
    operationId,
    method: 'post',
    path: `/v1/fine_tuning/jobs/{fine_tuning_job_id}/${name}`,
    tags,
    security,
    summary,
    request: { params: JobIdParamSchema, headers: IdempotencyHeadersSchema },
    responses: { 200: json(JobSchema, 'The job after the action.'), ...errorResponses },
  });

export const cancelJobRoute = action('cancel', 'cancelFineTuningJob', 'Cancel a job that has not finished.');
export const pauseJobRoute = action(
  'pause',
  'pauseFineTuningJob',
  'Pause a running job (it keeps its checkpoints).',
);
export const resumeJobRoute = action(
  'resume',
  'resumeFineTuningJob',
  'Resume a paused job from its newest checkpoint; a failed job with checkpoints continues as a new job (answered here).',
);

export const listJobEventsRoute = createRoute({
  operationId: 'listFineTuningJobEvents',
  method: 'get',
  path: '/v1/fine_tuning/jobs/{fine_tuning_job_id}/events',
  tags,
  security,
  request: { params: JobIdParamSchema, query: JobEventListQuerySchema },
  responses: { 200: json(JobEventListSchema, 'Events, newest first.'), ...errorResponses },
});

export const retrieveJobMetricsRoute = createRoute({
  operationId: 'retrieveFineTuningJobMetrics',
  method: 'get',
  path: '/v1/fine_tuning/jobs/{fine_tuning_job_id}/metrics',
  tags,
  security,
  summary:
    "A job's metrics as columns, ascending by step (our extension): the numbers of its metrics events, for charts; poll with after_step for new ones.",
  request: { params: JobIdParamSchema, query: JobMetricsQuerySchema },
  responses: { 200: json(JobMetricsSchema, 'Steps and one array per metric.'), ...errorResponses },
});

export const listJobCheckpointsRoute = createRoute({
  operationId: 'listFineTuningJobCheckpoints',
  method: 'get',
  path: '/v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints',
  tags,
  security,
  request: { params: JobIdParamSchema, query: CheckpointListQuerySchema },
  responses: { 200: json(CheckpointListSchema, 'Checkpoints, newest first.'), ...errorResponses },
});

export const checkpointWeightsRoute = createRoute({
  operationId: 'retrieveFineTuningJobCheckpointWeights',
  method: 'get',
  path: '/v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints/{checkpoint_id}/weights',
  tags,
  security,
  summary:
    "Download a checkpoint's weights (model.safetensors, Hugging Face tensor names); its config and tokenizer are the base model's (/v1/models/{model}/files).",
  request: { params: CheckpointParamSchema },
  responses: {
    200: {
      description: 'The safetensors file.',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    },
    ...errorResponses,
  },
});

/** Every operation of this group, in the order the document lists them. */
export const jobRoutes = [
  estimateJobRoute,
  createJobRoute,
  listJobsRoute,
  retrieveJobRoute,
  cancelJobRoute,
  pauseJobRoute,
  resumeJobRoute,
  listJobEventsRoute,
  retrieveJobMetricsRoute,
  listJobCheckpointsRoute,
  checkpointWeightsRoute,
] as const;
