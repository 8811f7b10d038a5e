/**
 * Evals (`/v1/evals`), OpenAI's shapes: an eval is a data source config (the JSON schema of each
 * row's `item`) and testing criteria (graders). Only the `custom` data source config exists here:
 * `logs` and `stored_completions` read OpenAI's stored chat logs, which this service does not keep,
 * so they are refused with a 400 that says so.
 */
import { z } from '@hono/zod-openapi';
import {
  LabelModelGraderSchema,
  PythonGraderSchema,
  ScoreModelGraderSchema,
  StringCheckGraderSchema,
  TextSimilarityGraderSchema,
} from './eval-graders';
import { MetadataSchema } from './job';
import { listOf } from './list';

export const EvalIdParamSchema = z.object({
  eval_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'eval_id', in: 'path' }, example: 'eval_abc123' }),
});

const jsonSchema = z.record(z.string(), z.unknown());

const refused = (type: string, why: string) =>
  z
    .looseObject({ type: z.literal(type) })
    .superRefine((_v, ctx) => ctx.addIssue({ code: 'custom', path: ['type'], message: why }));

export const CustomDataSourceConfigCreateSchema = z
  .strictObject({
    type: z.literal('custom'),
    /** The JSON schema of each row's `item` (the `{{item.…}}` namespace). */
    item_schema: jsonSchema,
    /** Whether runs will populate the `sample` namespace (by sampling a model). */
    include_sample_schema: z.boolean().default(false),
  })
  .openapi('EvalCustomDataSourceConfigCreate');

export const DataSourceConfigCreateSchema = z
  .discriminatedUnion('type', [
    CustomDataSourceConfigCreateSchema,
    refused(
      'logs',
      'logs data sources read OpenAI-stored chat logs, which this service does not keep; use custom',
    ),
    refused(
      'stored_completions',
      'stored_completions data sources read OpenAI-stored completions, which this service does not keep; use custom',
    ),
  ])
  .openapi('EvalDataSourceConfigCreate');

/** text_similarity needs a pass_threshold in an eval (OpenAI's EvalGraderTextSimilarity). */
const TextSimilarityCriterionSchema = TextSimilarityGraderSchema.extend({
  pass_threshold: z.number().min(-1e9).max(1e9),
}).openapi('EvalTextSimilarityCriterion');

export const TestingCriterionSchema = z
  .discriminatedUnion('type', [
    LabelModelGraderSchema,
    StringCheckGraderSchema,
    TextSimilarityCriterionSchema,
    PythonGraderSchema,
    ScoreModelGraderSchema,
  ])
  .openapi('EvalTestingCriterion');

export const EvalCreateSchema = z
  .strictObject({
    name: z.string().min(1).max(256).optional(),
    metadata: MetadataSchema.nullable().optional(),
    data_source_config: DataSourceConfigCreateSchema,
    testing_criteria: z.array(TestingCriterionSchema).min(1).max(32),
  })
  .openapi('EvalCreate');

export const EvalUpdateSchema = z
  .strictObject({
    name: z.string().min(1).max(256).optional(),
    metadata: MetadataSchema.nullable().optional(),
  })
  .openapi('EvalUpdate');

export const EvalCustomDataSourceConfigSchema = z
  .object({
    type: z.literal('custom'),
    /** `{type: object, properties: {item: item_schema, sample?: …}, required: [item, …]}`. */
    schema: jsonSchema,
  })
  .openapi('EvalCustomDataSourceConfig');

export const EvalSchema = z
  .object({
    object: z.literal('eval'),
    id: z.string().openapi({ example: 'eval_abc123' }),
    name: z.string(),
    data_source_config: EvalCustomDataSourceConfigSchema,
    testing_criteria: z.array(TestingCriterionSchema),
    created_at: z.int(),
    metadata: z.record(z.string(), z.string()).nullable(),
  })
  .openapi('Eval');

export const EvalDeletedSchema = z
  .object({ object: z.literal('eval.deleted'), deleted: z.boolean(), eval_id: z.string() })
  .openapi('EvalDeleted');

export const EvalListSchema = listOf(EvalSchema, 'EvalList');

const order = z
  .enum(['asc', 'desc'])
  .default('asc')
  .openapi({ description: 'By creation time; `asc` (oldest first) is the default, as OpenAI.' });

export const EvalListQuerySchema = z.object({
  after: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ type: 'integer', example: 20 }),
  order,
  /** `updated_at` ordering is not kept (no index on it): only `created_at`. */
  order_by: z.literal('created_at').default('created_at'),
});

export const ListOrderSchema = order;

export type CustomDataSourceConfigCreate = z.infer<typeof CustomDataSourceConfigCreateSchema>;
/** What validation lets through (logs and stored_completions always fail it). */
export type EvalCreate = Omit<z.infer<typeof EvalCreateSchema>, 'data_source_config'> & {
  data_source_config: CustomDataSourceConfigCreate;
};
export type EvalUpdate = z.infer<typeof EvalUpdateSchema>;
export type EvalObject = z.infer<typeof EvalSchema>;
export type TestingCriterion = z.infer<typeof TestingCriterionSchema>;
