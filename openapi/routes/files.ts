import { createRoute } from '@hono/zod-openapi';
import {
  FileDeletedSchema,
  FileIdParamSchema,
  FileListQuerySchema,
  FileListSchema,
  FileSchema,
  FileUploadFormSchema,
} from '../schemas/file';
import { IdempotencyHeadersSchema, errorResponses, json, security } from './common';

const tags = ['Files'];

export const createFileRoute = createRoute({
  operationId: 'createFile',
  method: 'post',
  path: '/v1/files',
  tags,
  security,
  summary: 'Upload a file (up to the direct-upload limit; larger files use /v1/uploads).',
  request: {
    headers: IdempotencyHeadersSchema,
    body: { required: true, content: { 'multipart/form-data': { schema: FileUploadFormSchema } } },
  },
  responses: {
    200: json(FileSchema, 'The file, validated when its purpose is fine-tune.'),
    ...errorResponses,
  },
});

export const listFilesRoute = createRoute({
  operationId: 'listFiles',
  method: 'get',
  path: '/v1/files',
  tags,
  security,
  request: { query: FileListQuerySchema },
  responses: { 200: json(FileListSchema, 'Files, newest first.'), ...errorResponses },
});

export const retrieveFileRoute = createRoute({
  operationId: 'retrieveFile',
  method: 'get',
  path: '/v1/files/{file_id}',
  tags,
  security,
  request: { params: FileIdParamSchema },
  responses: { 200: json(FileSchema, 'The file.'), ...errorResponses },
});

export const fileContentRoute = createRoute({
  operationId: 'retrieveFileContent',
  method: 'get',
  path: '/v1/files/{file_id}/content',
  tags,
  security,
  request: { params: FileIdParamSchema },
  responses: {
    200: {
      description: 'The file bytes.',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    },
    ...errorResponses,
  },
});

export const deleteFileRoute = createRoute({
  operationId: 'deleteFile',
  method: 'delete',
  path: '/v1/files/{file_id}',
  tags,
  security,
  request: { params: FileIdParamSchema },
  responses: { 200: json(FileDeletedSchema, 'Deleted.'), ...errorResponses },
});

/** Every operation of this group, in the order the document lists them. */
export const fileRoutes = [
  createFileRoute,
  listFilesRoute,
  retrieveFileRoute,
  fileContentRoute,
  deleteFileRoute,
] as const;
