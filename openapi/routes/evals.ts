import { createRoute, z } from '@hono/zod-openapi';
import {
  EvalCreateSchema,
  EvalDeletedSchema,
  EvalIdParamSchema,
  EvalListQuerySchema,
  EvalListSchema,
  EvalSchema,
  EvalUpdateSchema,
} from '../schemas/eval';
import {
  EvalOutputItemParamsSchema,
  EvalRunCreateSchema,
  EvalRunDeletedSchema,
  EvalRunListQuerySchema,
  EvalRunListSchema,
  EvalRunParamsSchema,
  EvalRunReportQuerySchema,
  EvalRunSchema,
  OutputItemListQuerySchema,
  OutputItemListSchema,
  OutputItemSchema,
} from '../schemas/eval-run';
import { IdempotencyHeadersSchema, errorResponses, json, jsonBody, security } from './common';

const tags = ['Evals'];

export const createEvalRoute = createRoute({
  operationId: 'createEval',
  method: 'post',
  path: '/v1/evals',
  tags,
  security,
  summary: 'Create an eval: the JSON schema of its rows and its testing criteria (graders).',
  request: { headers: IdempotencyHeadersSchema, body: jsonBody(EvalCreateSchema) },
  responses: { 201: json(EvalSchema, 'The eval.'), ...errorResponses },
});

export const listEvalsRoute = createRoute({
  operationId: 'listEvals',
  method: 'get',
  path: '/v1/evals',
  tags,
  security,
  request: { query: EvalListQuerySchema },
  responses: { 200: json(EvalListSchema, 'Evals, oldest first unless order=desc.'), ...errorResponses },
});

export const retrieveEvalRoute = createRoute({
  operationId: 'getEval',
  method: 'get',
  path: '/v1/evals/{eval_id}',
  tags,
  security,
  request: { params: EvalIdParamSchema },
  responses: { 200: json(EvalSchema, 'The eval.'), ...errorResponses },
});

export const updateEvalRoute = createRoute({
  operationId: 'updateEval',
  method: 'post',
  path: '/v1/evals/{eval_id}',
  tags,
  security,
  summary: 'Rename an eval or replace its metadata.',
  request: { params: EvalIdParamSchema, headers: IdempotencyHeadersSchema, body: jsonBody(EvalUpdateSchema) },
  responses: { 200: json(EvalSchema, 'The eval after the update.'), ...errorResponses },
});

export const deleteEvalRoute = createRoute({
  operationId: 'deleteEval',
  method: 'delete',
  path: '/v1/evals/{eval_id}',
  tags,
  security,
  request: { params: EvalIdParamSchema },
  responses: { 200: json(EvalDeletedSchema, 'Deleted.'), ...errorResponses },
});

export const createEvalRunRoute = createRoute({
  operationId: 'createEvalRun',
  method: 'post',
  path: '/v1/evals/{eval_id}/runs',
  tags,
  security,
  summary:
    'Start a run: grade the samples a JSONL source carries (jsonl), or sample a model on each row first (completions).',
  request: {
    params: EvalIdParamSchema,
    headers: IdempotencyHeadersSchema,
    body: jsonBody(EvalRunCreateSchema),
  },
  responses: { 201: json(EvalRunSchema, 'The run, queued.'), ...errorResponses },
});

export const listEvalRunsRoute = createRoute({
  operationId: 'getEvalRuns',
  method: 'get',
  path: '/v1/evals/{eval_id}/runs',
  tags,
  security,
  request: { params: EvalIdParamSchema, query: EvalRunListQuerySchema },
  responses: { 200: json(EvalRunListSchema, 'Runs, oldest first unless order=desc.'), ...errorResponses },
});

export const retrieveEvalRunRoute = createRoute({
  operationId: 'getEvalRun',
  method: 'get',
  path: '/v1/evals/{eval_id}/runs/{run_id}',
  tags,
  security,
  request: { params: EvalRunParamsSchema },
  responses: {
    200: json(EvalRunSchema, 'The run: status, counts, per-criterion results, usage.'),
    ...errorResponses,
  },
});

export const cancelEvalRunRoute = createRoute({
  operationId: 'cancelEvalRun',
  method: 'post',
  path: '/v1/evals/{eval_id}/runs/{run_id}',
  tags,
  security,
  summary: 'Cancel a run: it stops after the rows in flight; what was graded stays.',
  request: { params: EvalRunParamsSchema, headers: IdempotencyHeadersSchema },
  responses: { 200: json(EvalRunSchema, 'The run, canceled (or already final).'), ...errorResponses },
});

export const deleteEvalRunRoute = createRoute({
  operationId: 'deleteEvalRun',
  method: 'delete',
  path: '/v1/evals/{eval_id}/runs/{run_id}',
  tags,
  security,
  request: { params: EvalRunParamsSchema },
  responses: {
    200: json(EvalRunDeletedSchema, 'Deleted (canceled first if it was running).'),
    ...errorResponses,
  },
});

export const listOutputItemsRoute = createRoute({
  operationId: 'getEvalRunOutputItems',
  method: 'get',
  path: '/v1/evals/{eval_id}/runs/{run_id}/output_items',
  tags,
  security,
  request: { params: EvalRunParamsSchema, query: OutputItemListQuerySchema },
  responses: { 200: json(OutputItemListSchema, 'Output items by row.'), ...errorResponses },
});

export const retrieveOutputItemRoute = createRoute({
  operationId: 'getEvalRunOutputItem',
  method: 'get',
  path: '/v1/evals/{eval_id}/runs/{run_id}/output_items/{output_item_id}',
  tags,
  security,
  request: { params: EvalOutputItemParamsSchema },
  responses: { 200: json(OutputItemSchema, 'The output item.'), ...errorResponses },
});

/** What report_url opens: authenticated by the token it carries, not by an API key. */
export const evalRunReportRoute = createRoute({
  operationId: 'getEvalRunReport',
  method: 'get',
  path: '/v1/eval_reports/{run_id}',
  tags,
  summary:
    "A run's report for people (HTML, or JSON with format=json); the run's report_url, token included.",
  request: {
    params: z.object({ run_id: EvalRunParamsSchema.shape.run_id }),
    query: EvalRunReportQuerySchema,
  },
  responses: {
    200: {
      description: 'The report.',
      content: {
        'text/html': { schema: z.string() },
        'application/json': { schema: z.record(z.string(), z.unknown()) },
      },
    },
    ...errorResponses,
  },
});

/** Every operation of this group (API key), in the order the document lists them. */
export const evalRoutes = [
  createEvalRoute,
  listEvalsRoute,
  retrieveEvalRoute,
  updateEvalRoute,
  deleteEvalRoute,
  createEvalRunRoute,
  listEvalRunsRoute,
  retrieveEvalRunRoute,
  cancelEvalRunRoute,
  deleteEvalRunRoute,
  listOutputItemsRoute,
  retrieveOutputItemRoute,
] as const;

/** The report group: report_url's token, no API key. */
export const evalReportRoutes = [evalRunReportRoute] as const;
