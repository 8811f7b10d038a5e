import { createRoute } from '@hono/zod-openapi';
import {
  SweepCreateSchema,
  SweepIdParamSchema,
  SweepListQuerySchema,
  SweepListSchema,
  SweepSchema,
  TrialListQuerySchema,
  TrialListSchema,
} from '../schemas/sweep-resource';
import { IdempotencyHeadersSchema, errorResponses, json, jsonBody, security } from './common';

const tags = ['Sweeps'];

export const createSweepRoute = createRoute({
  operationId: 'createFineTuningSweep',
  method: 'post',
  path: '/v1/fine_tuning/sweeps',
  tags,
  security,
  summary:
    'Start a hyperparameter sweep: trials are fine-tuning jobs built from base_job and the suggested parameters.',
  request: { headers: IdempotencyHeadersSchema, body: jsonBody(SweepCreateSchema) },
  responses: { 200: json(SweepSchema, 'The sweep (its seed resolved).'), ...errorResponses },
});

export const listSweepsRoute = createRoute({
  operationId: 'listFineTuningSweeps',
  method: 'get',
  path: '/v1/fine_tuning/sweeps',
  tags,
  security,
  request: { query: SweepListQuerySchema },
  responses: { 200: json(SweepListSchema, 'Sweeps, newest first.'), ...errorResponses },
});

export const retrieveSweepRoute = createRoute({
  operationId: 'retrieveFineTuningSweep',
  method: 'get',
  path: '/v1/fine_tuning/sweeps/{sweep_id}',
  tags,
  security,
  request: { params: SweepIdParamSchema },
  responses: { 200: json(SweepSchema, 'The sweep, with its best trial so far.'), ...errorResponses },
});

const action = (name: 'cancel' | 'pause' | 'resume', operationId: string, summary: string) =>
  createRoute({
    operationId,
    method: 'post',
    path: `/v1/fine_tuning/sweeps/{sweep_id}/${name}`,
    tags,
    security,
    summary,
    request: { params: SweepIdParamSchema, headers: IdempotencyHeadersSchema },
    responses: { 200: json(SweepSchema, 'The sweep after the action.'), ...errorResponses },
  });

export const cancelSweepRoute = action(
  'cancel',
  'cancelFineTuningSweep',
  'Cancel a sweep and its unfinished trials.',
);
export const pauseSweepRoute = action(
  'pause',
  'pauseFineTuningSweep',
  'Pause a sweep: no new trials start and running trials are paused.',
);
export const resumeSweepRoute = action(
  'resume',
  'resumeFineTuningSweep',
  'Resume a paused sweep and its paused trials.',
);

export const listSweepTrialsRoute = createRoute({
  operationId: 'listFineTuningSweepTrials',
  method: 'get',
  path: '/v1/fine_tuning/sweeps/{sweep_id}/trials',
  tags,
  security,
  request: { params: SweepIdParamSchema, query: TrialListQuerySchema },
  responses: { 200: json(TrialListSchema, 'Trials, first started first.'), ...errorResponses },
});

/** Every operation of this group, in the order the document lists them. */
export const sweepRoutes = [
  createSweepRoute,
  listSweepsRoute,
  retrieveSweepRoute,
  cancelSweepRoute,
  pauseSweepRoute,
  resumeSweepRoute,
  listSweepTrialsRoute,
] as const;
