import { z } from '@hono/zod-openapi';
import { ModelConfigRequestSchema } from './model-config';

export const ModelIdParamSchema = z.object({
  model: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: 'model', in: 'path' }, example: 'gpt2-tiny' }),
});

export const ModelSchema = z
  .object({
    id: z.string(),
    object: z.literal('model'),
    created: z.int(),
    owned_by: z.string(),
    base_model: z.string().nullable().openapi({
      description:
        'The model this one was fine-tuned from (a base model or another fine-tuned model); null for base models.',
    }),
    lineage: z.array(z.string()).openapi({
      description:
        'Every model this one descends from, the one it was tuned from first, down to the base model; empty for base models.',
    }),
    /** Our extension: present (true) on a config-only model, which has no weights until a job trains it. */
    untrained: z.boolean().optional().openapi({
      description:
        'True for a config-only model (POST /v1/models): no weights; jobs train it from random initialisation.',
    }),
  })
  .openapi('Model');

/** POST /v1/models (our extension): a base model from a config.json and a tokenizer, no weights. */
export const ModelCreateSchema = z
  .strictObject({
    config: ModelConfigRequestSchema,
    tokenizer: z.string().min(1).max(256).openapi({
      description: 'A model you can see (e.g. a base model) whose tokenizer.json the new model uses.',
    }),
    suffix: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,40}$/, 'suffix: 1-40 letters, digits, "_" or "-"')
      .optional()
      .openapi({ description: 'Added to the model id (cfg:<suffix>:…).' }),
  })
  .openapi('ModelCreate');

export const ModelListSchema = z
  .object({ object: z.literal('list'), data: z.array(ModelSchema) })
  .openapi('ModelList');

export const ModelDeletedSchema = z
  .object({ id: z.string(), object: z.literal('model'), deleted: z.boolean() })
  .openapi('ModelDeleted');

/** The files of a model folder in the Hugging Face layout, so a model can leave Tuneplane. */
export const ModelFileNameSchema = z
  .enum([
    'config.json',
    'model.safetensors',
    'tokenizer.json',
    'tokenizer_config.json',
    'generation_config.json',
  ])
  .openapi('ModelFileName');

export const ModelFileParamSchema = ModelIdParamSchema.extend({
  filename: ModelFileNameSchema.openapi({ param: { name: 'filename', in: 'path' } }),
});

export const ModelFileSchema = z
  .object({ object: z.literal('model.file'), filename: ModelFileNameSchema, bytes: z.int() })
  .openapi('ModelFile');

export const ModelFileListSchema = z
  .object({ object: z.literal('list'), data: z.array(ModelFileSchema) })
  .openapi('ModelFileList');
