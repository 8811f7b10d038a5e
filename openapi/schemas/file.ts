/** Files: OpenAI's file object plus what validation learned about a training file (additive fields). */
import { z } from '@hono/zod-openapi';
import { FILE_FORMATS } from '../enums';
import { PageQuerySchema, listOf } from './list';

export const FilePurposeSchema = z
  .enum(['fine-tune', 'fine-tune-results', 'assistants', 'batch', 'user_data', 'evals'])
  .openapi('FilePurpose');

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
/**
 * A media type as HTTP defines it (RFC 9110 §8.3.1): `type/subtype` and `; name=value` parameters,
 * printable ASCII only. It becomes the stored object's Content-Type header, where control and
 * non-ASCII characters cannot go.
 */
const MEDIA_TYPE = new RegExp(
  `^${TOKEN}/${TOKEN}(?: *; *${TOKEN}=(?:${TOKEN}|"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*"))*$`,
);

export const MediaTypeSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(MEDIA_TYPE, 'must be a media type such as "application/jsonl" (printable ASCII, type/subtype)');

export const FileFormatSchema = z.enum(FILE_FORMATS).openapi('FileFormat');
export type { FileFormat } from '../enums';

export const FileIdParamSchema = z.object({
  file_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'file_id', in: 'path' }, example: 'file-abc123' }),
});

export const FileSchema = z
  .object({
    id: z.string().openapi({ example: 'file-abc123' }),
    object: z.literal('file'),
    bytes: z.int(),
    created_at: z.int(),
    expires_at: z.int().nullable(),
    filename: z.string(),
    purpose: z.string(),
    /** `processed`: valid training data; `error`: see `status_details`, the file cannot start a job. */
    status: z.enum(['uploaded', 'processed', 'error']),
    status_details: z.string().nullable(),
    format: FileFormatSchema.nullable(),
    example_count: z.int().nullable(),
    token_count: z.int().nullable().openapi({ description: 'Rough estimate (characters / 4).' }),
    labels: z
      .array(z.string())
      .nullable()
      .openapi({ description: 'Distinct labels of classification data.' }),
  })
  .openapi('File');

export const FileDeletedSchema = z
  .object({ id: z.string(), object: z.literal('file'), deleted: z.boolean() })
  .openapi('FileDeleted');

export const FileListSchema = listOf(FileSchema, 'FileList');

export const FileListQuerySchema = PageQuerySchema.extend({
  purpose: z.string().min(1).max(64).optional(),
  order: z.enum(['desc']).optional().openapi({ description: 'Newest first (the only order kept).' }),
});

/** Direct uploads (up to the direct-upload limit; larger files go through /v1/uploads). */
export const FileUploadFormSchema = z
  .strictObject({
    file: z
      .custom<File>((v) => v instanceof File, { message: 'must be a file part' })
      .openapi({ type: 'string', format: 'binary' }),
    purpose: FilePurposeSchema,
  })
  .openapi('FileUpload');

export type FileObject = z.infer<typeof FileSchema>;
