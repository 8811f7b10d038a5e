import { createRoute } from '@hono/zod-openapi';
import {
  RunGraderRequestSchema,
  RunGraderResponseSchema,
  ValidateGraderRequestSchema,
  ValidateGraderResponseSchema,
} from '../schemas/eval-graders';
import { IdempotencyHeadersSchema, errorResponses, json, jsonBody, security } from './common';

const tags = ['Graders'];

export const runGraderRoute = createRoute({
  operationId: 'runGrader',
  method: 'post',
  path: '/v1/fine_tuning/alpha/graders/run',
  tags,
  security,
  summary:
    'Grade one model sample with a grader (python graders are refused: no user-supplied code runs here).',
  request: { headers: IdempotencyHeadersSchema, body: jsonBody(RunGraderRequestSchema) },
  responses: { 200: json(RunGraderResponseSchema, 'The reward and what went into it.'), ...errorResponses },
});

export const validateGraderRoute = createRoute({
  operationId: 'validateGrader',
  method: 'post',
  path: '/v1/fine_tuning/alpha/graders/validate',
  tags,
  security,
  summary: 'Check a grader definition: templates, formula, metric; a 400 names the field at fault.',
  request: { headers: IdempotencyHeadersSchema, body: jsonBody(ValidateGraderRequestSchema) },
  responses: { 200: json(ValidateGraderResponseSchema, 'The grader, valid.'), ...errorResponses },
});

/** Every operation of this group, in the order the document lists them. */
export const graderRoutes = [runGraderRoute, validateGraderRoute] as const;
