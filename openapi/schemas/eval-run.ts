/**
 * Eval runs (`/v1/evals/{eval_id}/runs`) and their output items, OpenAI's shapes. A run reads rows
 * from a JSONL source (a file id or inline content) and either grades the samples the rows carry
 * (`jsonl`) or first samples a model on each row (`completions`: model, `input_messages` template,
 * `sampling_params`). `responses` sources and stored completions read OpenAI-kept data and are
 * refused with a 400. `report_url` opens the run's report (HTML) without an API key: it carries a
 * token that is good for that run only.
 */
import { z } from '@hono/zod-openapi';
import { EVAL_RUN_STATUSES } from '../enums';
import { EvalMessageSchema } from './eval-graders';
import { ListOrderSchema } from './eval';
import { MetadataSchema } from './job';
import { listOf } from './list';

export const EvalRunStatusSchema = z.enum(EVAL_RUN_STATUSES).openapi('EvalRunStatus');

export const EvalRunParamsSchema = z.object({
  eval_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'eval_id', in: 'path' }, example: 'eval_abc123' }),
  run_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'run_id', in: 'path' }, example: 'evalrun_abc123' }),
});

export const EvalOutputItemParamsSchema = EvalRunParamsSchema.extend({
  output_item_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'output_item_id', in: 'path' }, example: 'outputitem_abc123' }),
});

const row = z.strictObject({
  item: z.record(z.string(), z.unknown()),
  /** A sample already produced (`output_text`, …): graded as given, nothing is sampled. */
  sample: z.record(z.string(), z.unknown()).optional(),
});

export const FileContentSourceSchema = z
  .strictObject({ type: z.literal('file_content'), content: z.array(row).min(1).max(10_000) })
  .openapi('EvalJsonlFileContentSource');

export const FileIdSourceSchema = z
  .strictObject({ type: z.literal('file_id'), id: z.string().min(1).max(128) })
  .openapi('EvalJsonlFileIdSource');

const refused = (type: string, why: string) =>
  z
    .looseObject({ type: z.literal(type) })
    .superRefine((_v, ctx) => ctx.addIssue({ code: 'custom', path: ['type'], message: why }));

const storedCompletions = refused(
  'stored_completions',
  'stored_completions sources read OpenAI-stored completions, which this service does not keep; use file_id or file_content',
);

export const JsonlSourceSchema = z
  .discriminatedUnion('type', [FileContentSourceSchema, FileIdSourceSchema])
  .openapi('EvalJsonlSource');

export const JsonlRunDataSourceSchema = z
  .strictObject({ type: z.literal('jsonl'), source: JsonlSourceSchema })
  .openapi('EvalJsonlRunDataSource');

const unsupported = (what: string) =>
  z
    .unknown()
    .optional()
    .superRefine((v, ctx) => {
      if (v !== undefined && v !== null)
        ctx.addIssue({ code: 'custom', message: `${what} is not supported by the models served here` });
    });

export const EvalSamplingParamsSchema = z
  .strictObject({
    temperature: z.number().min(0).max(2).default(1),
    max_completion_tokens: z.int().min(1).max(32768).optional(),
    top_p: z.number().min(0).max(1).default(1),
    seed: z.int().default(42),
    reasoning_effort: unsupported('reasoning_effort'),
    response_format: z
      .looseObject({ type: z.string() })
      .optional()
      .superRefine((v, ctx) => {
        if (v && v.type !== 'text')
          ctx.addIssue({
            code: 'custom',
            path: ['type'],
            message: `response_format ${v.type} is not supported: the models served here have no structured outputs`,
          });
      }),
    tools: unsupported('tools'),
  })
  .openapi('EvalSamplingParams');

export const InputMessagesSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('template'), template: z.array(EvalMessageSchema).min(1).max(64) }),
    z.strictObject({
      type: z.literal('item_reference'),
      /** A variable of the item that holds the chat messages, e.g. `item.messages`. */
      item_reference: z.string().min(1).max(256),
    }),
  ])
  .openapi('EvalInputMessages');

export const CompletionsRunDataSourceSchema = z
  .strictObject({
    type: z.literal('completions'),
    source: z.discriminatedUnion('type', [FileContentSourceSchema, FileIdSourceSchema, storedCompletions]),
    /** How each row becomes the prompt; required here (there are no stored completions to reuse). */
    input_messages: InputMessagesSchema,
    sampling_params: EvalSamplingParamsSchema.optional(),
    /** A base model, `ft:…`, a checkpoint (`ft:…:ckpt-step-N`), or an OpenAI model when configured. */
    model: z.string().min(1).max(256),
  })
  .openapi('EvalCompletionsRunDataSource');

export const RunDataSourceSchema = z
  .discriminatedUnion('type', [
    JsonlRunDataSourceSchema,
    CompletionsRunDataSourceSchema,
    refused(
      'responses',
      'responses data sources read OpenAI-stored responses, which this service does not keep',
    ),
  ])
  .openapi('EvalRunDataSource');

export const EvalRunCreateSchema = z
  .strictObject({
    name: z.string().min(1).max(256).optional(),
    metadata: MetadataSchema.nullable().optional(),
    data_source: RunDataSourceSchema,
  })
  .openapi('EvalRunCreate');

export const EvalApiErrorSchema = z.object({ code: z.string(), message: z.string() }).openapi('EvalApiError');

export const PerModelUsageSchema = z
  .object({
    model_name: z.string(),
    invocation_count: z.int(),
    prompt_tokens: z.int(),
    completion_tokens: z.int(),
    total_tokens: z.int(),
    cached_tokens: z.int(),
  })
  .openapi('EvalRunPerModelUsage');

export const EvalRunSchema = z
  .object({
    object: z.literal('eval.run'),
    id: z.string().openapi({ example: 'evalrun_abc123' }),
    eval_id: z.string(),
    status: EvalRunStatusSchema,
    /** The sampled model (completions sources); null when the rows carry their samples. */
    model: z.string().nullable(),
    name: z.string(),
    created_at: z.int(),
    /** The run's report as a page (HTML; `Accept: application/json` for JSON), no API key needed. */
    report_url: z.string(),
    result_counts: z.object({ total: z.int(), errored: z.int(), failed: z.int(), passed: z.int() }),
    per_model_usage: z.array(PerModelUsageSchema),
    per_testing_criteria_results: z.array(
      z.object({ testing_criteria: z.string(), passed: z.int(), failed: z.int() }),
    ),
    data_source: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.string()).nullable(),
    error: EvalApiErrorSchema.nullable(),
  })
  .openapi('EvalRun');

export const EvalRunDeletedSchema = z
  .object({ object: z.literal('eval.run.deleted'), deleted: z.boolean(), run_id: z.string() })
  .openapi('EvalRunDeleted');

export const EvalRunListSchema = listOf(EvalRunSchema, 'EvalRunList');

export const EvalRunListQuerySchema = z.object({
  after: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ type: 'integer', example: 20 }),
  order: ListOrderSchema,
  status: EvalRunStatusSchema.optional(),
});

export const OutputItemResultSchema = z
  .object({
    name: z.string(),
    type: z.string(),
    score: z.number(),
    passed: z.boolean(),
    /** What a model grader read and answered; null for the others. */
    sample: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('EvalRunOutputItemResult');

const chatMessage = z.object({ role: z.string(), content: z.string() });

export const OutputItemSchema = z
  .object({
    object: z.literal('eval.run.output_item'),
    id: z.string().openapi({ example: 'outputitem_abc123' }),
    run_id: z.string(),
    eval_id: z.string(),
    created_at: z.int(),
    /** `pass` when every criterion passed, `fail` otherwise, `error` when the row could not be sampled or graded. */
    status: z.enum(['pass', 'fail', 'error']),
    datasource_item_id: z.int(),
    datasource_item: z.record(z.string(), z.unknown()),
    results: z.array(OutputItemResultSchema),
    sample: z.object({
      input: z.array(chatMessage),
      output: z.array(chatMessage),
      finish_reason: z.string(),
      model: z.string(),
      usage: z.object({
        total_tokens: z.int(),
        completion_tokens: z.int(),
        prompt_tokens: z.int(),
        cached_tokens: z.int(),
      }),
      error: EvalApiErrorSchema.nullable(),
      temperature: z.number(),
      max_completion_tokens: z.int(),
      top_p: z.number(),
      seed: z.int(),
    }),
  })
  .openapi('EvalRunOutputItem');

export const OutputItemListSchema = listOf(OutputItemSchema, 'EvalRunOutputItemList');

export const OutputItemListQuerySchema = z.object({
  after: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ type: 'integer', example: 20 }),
  status: z.enum(['fail', 'pass']).optional(),
  order: ListOrderSchema,
});

export const EvalRunReportQuerySchema = z.object({
  token: z.string().min(1).max(128).openapi({ description: 'The token report_url carries.' }),
  format: z.enum(['html', 'json']).optional(),
});

export type JsonlSource = z.infer<typeof JsonlSourceSchema>;
export type JsonlRunDataSource = z.infer<typeof JsonlRunDataSourceSchema>;
/** What validation lets through (the refused shapes always fail it, so they never reach the service). */
export type CompletionsRunDataSource = Omit<z.infer<typeof CompletionsRunDataSourceSchema>, 'source'> & {
  source: JsonlSource;
};
export type RunDataSource = JsonlRunDataSource | CompletionsRunDataSource;
export type EvalRunCreate = Omit<z.infer<typeof EvalRunCreateSchema>, 'data_source'> & {
  data_source: RunDataSource;
};
export type EvalRunObject = z.infer<typeof EvalRunSchema>;
export type OutputItemObject = z.infer<typeof OutputItemSchema>;
export type EvalRunStatus = z.infer<typeof EvalRunStatusSchema>;
