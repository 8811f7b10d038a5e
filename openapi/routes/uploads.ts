import { createRoute } from '@hono/zod-openapi';
import {
  UploadCompleteSchema,
  UploadCreateSchema,
  UploadIdParamSchema,
  UploadPartsRequestSchema,
  UploadSchema,
} from '../schemas/upload';
import { IdempotencyHeadersSchema, errorResponses, json, jsonBody, security } from './common';

const tags = ['Uploads'];

export const createUploadRoute = createRoute({
  operationId: 'createUpload',
  method: 'post',
  path: '/v1/uploads',
  tags,
  security,
  summary: 'Start a large upload: answers with presigned part URLs to PUT the bytes to.',
  request: { headers: IdempotencyHeadersSchema, body: jsonBody(UploadCreateSchema) },
  responses: { 200: json(UploadSchema, 'The pending upload with its part URLs.'), ...errorResponses },
});

export const retrieveUploadRoute = createRoute({
  operationId: 'retrieveUpload',
  method: 'get',
  path: '/v1/uploads/{upload_id}',
  tags,
  security,
  request: { params: UploadIdParamSchema },
  responses: { 200: json(UploadSchema, 'The upload.'), ...errorResponses },
});

export const uploadPartsRoute = createRoute({
  operationId: 'signUploadParts',
  method: 'post',
  path: '/v1/uploads/{upload_id}/parts',
  tags,
  security,
  summary: 'Fresh presigned URLs for some or all parts (e.g. after the first ones expired).',
  request: {
    params: UploadIdParamSchema,
    headers: IdempotencyHeadersSchema,
    body: { required: false, content: { 'application/json': { schema: UploadPartsRequestSchema } } },
  },
  responses: { 200: json(UploadSchema, 'The upload with the requested part URLs.'), ...errorResponses },
});

export const completeUploadRoute = createRoute({
  operationId: 'completeUpload',
  method: 'post',
  path: '/v1/uploads/{upload_id}/complete',
  tags,
  security,
  summary: 'Assemble the parts, validate the file like a direct upload and create the File.',
  request: {
    params: UploadIdParamSchema,
    headers: IdempotencyHeadersSchema,
    body: { required: false, content: { 'application/json': { schema: UploadCompleteSchema } } },
  },
  responses: { 200: json(UploadSchema, 'The completed upload with its file.'), ...errorResponses },
});

export const cancelUploadRoute = createRoute({
  operationId: 'cancelUpload',
  method: 'post',
  path: '/v1/uploads/{upload_id}/cancel',
  tags,
  security,
  request: { params: UploadIdParamSchema, headers: IdempotencyHeadersSchema },
  responses: { 200: json(UploadSchema, 'The cancelled upload.'), ...errorResponses },
});

/** Every operation of this group, in the order the document lists them. */
export const uploadRoutes = [
  createUploadRoute,
  retrieveUploadRoute,
  uploadPartsRoute,
  completeUploadRoute,
  cancelUploadRoute,
] as const;
