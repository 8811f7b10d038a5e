/** Files: OpenAI's file object plus what validation learned about a training file (additive fields). */
import { z } from '@hono/zod-openapi';
import { FILE_FORMATS } from '../enums';
import { PageQuerySchema, listOf } from './list';

/**
 * The purposes OpenAI accepts for uploads. Every one is stored and served; only `fine-tune` files
 * are read (validated as training data). `fine-tune-results` is a purpose the service gives the
 * files it writes, not one to upload with.
 */
export const FilePurposeSchema = z
  .enum(['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'])
  .openapi('FilePurpose');

/** OpenAI's file expiration policy: `seconds` after `created_at`, from 1 hour to 30 days. */
export const EXPIRES_AFTER_SECONDS = { min: 3600, max: 2_592_000 } as const;
const expiresAfterAnchor = z.literal('created_at');
const expiresAfterSeconds = z.int().min(EXPIRES_AFTER_SECONDS.min).max(EXPIRES_AFTER_SECONDS.max);
export const FileExpiresAfterSchema = z
  .strictObject({ anchor: expiresAfterAnchor, seconds: expiresAfterSeconds })
  .openapi('FileExpiresAfter', {
    description: 'The file expires (and is deleted with its bytes) `seconds` after its `created_at`.',
  });

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
    expires_at: z
      .int()
      .optional()
      .openapi({ description: 'When the file expires; absent when it does not.' }),
    filename: z.string(),
    purpose: z.string(),
    /** `processed`: valid training data; `error`: see `status_details`, the file cannot start a job. */
    status: z.enum(['uploaded', 'processed', 'error']),
    status_details: z
      .string()
      .optional()
      .openapi({ description: 'Why the file cannot train (status `error`); absent otherwise.' }),
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
  order: z
    .enum(['asc', 'desc'])
    .default('desc')
    .openapi({ description: 'By `created_at`: `desc` newest first (the default), `asc` oldest first.' }),
});

/**
 * Direct uploads (up to the direct-upload limit; larger files go through /v1/uploads). A form
 * has no nested objects: `expires_after` travels as `expires_after[anchor]` and
 * `expires_after[seconds]`, as OpenAI's SDKs send it.
 */
export const FileUploadFormSchema = z
  .strictObject({
    file: z
      .custom<File>((v) => v instanceof File, { message: 'must be a file part' })
      .openapi({ type: 'string', format: 'binary' }),
    purpose: FilePurposeSchema,
    'expires_after[anchor]': expiresAfterAnchor
      .optional()
      .openapi({ description: 'Expiration anchor: `created_at` (with `expires_after[seconds]`).' }),
    'expires_after[seconds]': z.coerce
      .number()
      .pipe(expiresAfterSeconds)
      .optional()
      .openapi({ type: 'integer', description: 'Seconds after the anchor, 3600 to 2592000.' }),
  })
  .superRefine((form, ctx) => {
    const anchor = form['expires_after[anchor]'] !== undefined;
    const seconds = form['expires_after[seconds]'] !== undefined;
    if (anchor !== seconds)
      ctx.addIssue({
        code: 'custom',
        path: [anchor ? 'expires_after[seconds]' : 'expires_after[anchor]'],
        message: 'expires_after needs both anchor and seconds',
      });
  })
  .openapi('FileUpload');

export type FileObject = z.infer<typeof FileSchema>;
