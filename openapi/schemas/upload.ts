/**
 * Uploads for large files. OpenAI's upload object, but the bytes go straight to object storage: the
 * create call answers with presigned part URLs (`parts`), the client PUTs each part of `part_size`
 * bytes (the last may be shorter), then calls `complete`. Expired URLs are renewed with `/parts`.
 */
import { z } from '@hono/zod-openapi';
import { FileExpiresAfterSchema, FilePurposeSchema, FileSchema, MediaTypeSchema } from './file';

export const UploadIdParamSchema = z.object({
  upload_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'upload_id', in: 'path' }, example: 'upload_abc123' }),
});

export const UploadPartUrlSchema = z
  .object({
    part_number: z.int().min(1),
    url: z.string().openapi({ description: 'PUT the part body here.' }),
    expires_at: z.int(),
  })
  .openapi('UploadPartUrl');

export const UploadSchema = z
  .object({
    id: z.string().openapi({ example: 'upload_abc123' }),
    object: z.literal('upload'),
    bytes: z.int(),
    created_at: z.int(),
    expires_at: z.int(),
    filename: z.string(),
    purpose: z.string(),
    mime_type: z.string(),
    status: z.enum(['pending', 'completed', 'cancelled', 'expired']),
    part_size: z
      .int()
      .openapi({ description: 'Bytes per part; every part but the last has exactly this size.' }),
    part_count: z.int(),
    /** Present while pending on create and on `/parts`. */
    parts: z.array(UploadPartUrlSchema).nullable(),
    file: FileSchema.nullable(),
  })
  .openapi('Upload');

export const UploadCreateSchema = z
  .strictObject({
    filename: z.string().min(1).max(256),
    purpose: FilePurposeSchema,
    bytes: z.int().min(1),
    mime_type: MediaTypeSchema,
    expires_after: FileExpiresAfterSchema.optional().openapi({
      description: 'The File the upload creates expires this long after its `created_at`.',
    }),
  })
  .openapi('UploadCreate');

export const UploadPartsRequestSchema = z
  .strictObject({
    part_numbers: z.array(z.int().min(1).max(10_000)).min(1).max(10_000).optional().openapi({
      description: 'Parts to (re)sign; all parts when omitted.',
    }),
  })
  .openapi('UploadPartsRequest');

export const UploadCompleteSchema = z
  .strictObject({
    /** Optional and informative: the part list is read from storage, not trusted from the client. */
    part_ids: z.array(z.string()).max(10_000).optional(),
    md5: z.string().max(64).optional(),
  })
  .openapi('UploadComplete');

export type UploadObject = z.infer<typeof UploadSchema>;
