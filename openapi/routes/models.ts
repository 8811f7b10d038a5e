import { createRoute } from '@hono/zod-openapi';
import { ModelDeletedSchema, ModelIdParamSchema, ModelListSchema, ModelSchema } from '../schemas/model';
import { errorResponses, json, security } from './common';

const tags = ['Models'];

export const listModelsRoute = createRoute({
  operationId: 'listModels',
  method: 'get',
  path: '/v1/models',
  tags,
  security,
  responses: { 200: json(ModelListSchema, 'Base models and this key’s fine-tuned models.'), ...errorResponses },
});

export const retrieveModelRoute = createRoute({
  operationId: 'retrieveModel',
  method: 'get',
  path: '/v1/models/{model}',
  tags,
  security,
  request: { params: ModelIdParamSchema },
  responses: { 200: json(ModelSchema, 'The model.'), ...errorResponses },
});

export const deleteModelRoute = createRoute({
  operationId: 'deleteModel',
  method: 'delete',
  path: '/v1/models/{model}',
  tags,
  security,
  summary: 'Delete a fine-tuned model (base models cannot be deleted).',
  request: { params: ModelIdParamSchema },
  responses: { 200: json(ModelDeletedSchema, 'Deleted.'), ...errorResponses },
});
