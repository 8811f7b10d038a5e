import { createRoute } from '@hono/zod-openapi';
import {
  ModelCreateSchema,
  ModelDeletedSchema,
  ModelFileListSchema,
  ModelFileParamSchema,
  ModelIdParamSchema,
  ModelListSchema,
  ModelSchema,
} from '../schemas/model';
import { errorResponses, json, security } from './common';

const tags = ['Models'];

export const listModelsRoute = createRoute({
  operationId: 'listModels',
  method: 'get',
  path: '/v1/models',
  tags,
  security,
  responses: {
    200: json(ModelListSchema, 'Base models and this key’s fine-tuned models.'),
    ...errorResponses,
  },
});

export const createModelRoute = createRoute({
  operationId: 'createModel',
  method: 'post',
  path: '/v1/models',
  tags,
  security,
  summary:
    'Create a config-only base model (our extension): a Hugging Face style config.json and a tokenizer, no weights; jobs train it from random initialisation.',
  request: { body: { content: { 'application/json': { schema: ModelCreateSchema } }, required: true } },
  responses: { 200: json(ModelSchema, 'The untrained model.'), ...errorResponses },
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

export const listModelFilesRoute = createRoute({
  operationId: 'listModelFiles',
  method: 'get',
  path: '/v1/models/{model}/files',
  tags,
  security,
  summary:
    'The files of the model in the Hugging Face layout (config.json, model.safetensors, tokenizer.json).',
  request: { params: ModelIdParamSchema },
  responses: { 200: json(ModelFileListSchema, 'The model’s files.'), ...errorResponses },
});

export const modelFileContentRoute = createRoute({
  operationId: 'retrieveModelFileContent',
  method: 'get',
  path: '/v1/models/{model}/files/{filename}',
  tags,
  security,
  summary:
    'Download one file of the model (e.g. model.safetensors), to serve it with any Hugging Face-compatible stack.',
  request: { params: ModelFileParamSchema },
  responses: {
    200: {
      description: 'The file bytes.',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    },
    ...errorResponses,
  },
});

/** Every operation of this group, in the order the document lists them. */
export const modelRoutes = [
  listModelsRoute,
  createModelRoute,
  retrieveModelRoute,
  deleteModelRoute,
  listModelFilesRoute,
  modelFileContentRoute,
] as const;
