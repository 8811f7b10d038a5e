/**
 * Graders, OpenAI's shapes (`/v1/fine_tuning/alpha/graders/*` and an eval's `testing_criteria`):
 * string_check, text_similarity, score_model, label_model, multi, and python — which is refused,
 * since no user-supplied code runs on our side. Every text field may hold `{{item.x}}` and
 * `{{sample.output_text}}` references (functions/domain/evals/template.ts renders them).
 *
 * Model graders and sampled messages take text content only (a string, `input_text` or
 * `output_text`): the models we serve read text, so an image or audio part is a 400 naming it.
 */
import { z } from '@hono/zod-openapi';

const text = z.string().max(256 * 1024);
const name = z.string().min(1).max(256);

export const EVAL_MESSAGE_ROLES = ['user', 'assistant', 'system', 'developer'] as const;

const textPart = z.union([
  z.strictObject({ type: z.literal('input_text'), text }),
  z.strictObject({ type: z.literal('output_text'), text }),
]);

const notText = (kind: string) =>
  z.looseObject({ type: z.literal(kind) }).superRefine((_v, ctx) =>
    ctx.addIssue({
      code: 'custom',
      path: ['type'],
      message: `${kind} content is not supported: graders and sampled models here read text only`,
    }),
  );

/** One content part: text, or an image/audio part refused by name. */
export const EvalContentPartSchema = z
  .union([textPart, notText('input_image'), notText('input_audio')])
  .openapi('EvalContentPart');

export const EvalMessageContentSchema = z
  .union([text, EvalContentPartSchema, z.array(z.union([text, EvalContentPartSchema])).max(64)])
  .openapi('EvalMessageContent');

/** A chat message whose content may hold template references (OpenAI's EvalItem / EasyInputMessage). */
export const EvalMessageSchema = z
  .strictObject({
    role: z.enum(EVAL_MESSAGE_ROLES),
    content: EvalMessageContentSchema,
    type: z.literal('message').optional(),
  })
  .openapi('EvalMessage');

export const StringCheckGraderSchema = z
  .strictObject({
    type: z.literal('string_check'),
    name,
    input: text,
    reference: text,
    /** eq / ne: equal / not equal (case-sensitive); like: input contains reference; ilike: the same, case-insensitive. */
    operation: z.enum(['eq', 'ne', 'like', 'ilike']),
  })
  .openapi('StringCheckGrader');

export const TEXT_SIMILARITY_METRICS = [
  'cosine',
  'fuzzy_match',
  'bleu',
  'gleu',
  'meteor',
  'rouge_1',
  'rouge_2',
  'rouge_3',
  'rouge_4',
  'rouge_5',
  'rouge_l',
] as const;
export type TextSimilarityMetric = (typeof TEXT_SIMILARITY_METRICS)[number];

const threshold = z.number().min(-1e9).max(1e9);

export const TextSimilarityGraderSchema = z
  .strictObject({
    type: z.literal('text_similarity'),
    name,
    input: text,
    reference: text,
    evaluation_metric: z.enum(TEXT_SIMILARITY_METRICS).superRefine((m, ctx) => {
      if (m === 'cosine')
        ctx.addIssue({
          code: 'custom',
          message:
            'cosine is not supported: it needs an embedding model and this service serves none; use fuzzy_match, bleu, gleu, meteor or rouge_*',
        });
    }),
    /** An eval criterion passes when the score is at least this (required in an eval, optional on /graders/run). */
    pass_threshold: threshold.optional(),
  })
  .openapi('TextSimilarityGrader');

const messages = z.array(EvalMessageSchema).min(1).max(64);

export const ScoreModelSamplingParamsSchema = z
  .strictObject({
    seed: z.int().nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    max_completions_tokens: z.int().min(1).max(32768).nullable().optional(),
    reasoning_effort: z.string().nullable().optional(),
  })
  .openapi('ScoreModelSamplingParams');

export const ScoreModelGraderSchema = z
  .strictObject({
    type: z.literal('score_model'),
    name,
    /** Any model this service can call: a base model, `ft:…`, a checkpoint, or OpenAI's when configured. */
    model: z.string().min(1).max(256),
    input: messages,
    /** The judge's number is clipped into this range; a reply without a number scores range[0]. Default [0, 1]. */
    range: z
      .tuple([z.number(), z.number()])
      .refine(([lo, hi]) => lo < hi, 'range must be [low, high] with low < high')
      .optional(),
    sampling_params: ScoreModelSamplingParamsSchema.optional(),
    /** Passes when the score is at least this; default: the middle of the range. */
    pass_threshold: threshold.optional(),
  })
  .openapi('ScoreModelGrader');

export const LabelModelGraderSchema = z
  .strictObject({
    type: z.literal('label_model'),
    name,
    model: z.string().min(1).max(256),
    input: messages,
    labels: z.array(z.string().min(1).max(256)).min(1).max(64),
    passing_labels: z.array(z.string().min(1).max(256)).min(1).max(64),
  })
  .superRefine((g, ctx) => {
    g.passing_labels.forEach((l, i) => {
      if (!g.labels.includes(l))
        ctx.addIssue({
          code: 'custom',
          path: ['passing_labels', i],
          message: `"${l}" is not one of labels`,
        });
    });
  })
  .openapi('LabelModelGrader');

export const PYTHON_REFUSED =
  'python graders are not supported: this service runs no user-supplied code. Use string_check, text_similarity, score_model, label_model or multi.';

/** Accepted in the shape so the refusal names it; always a 400 (PYTHON_REFUSED). */
export const PythonGraderSchema = z
  .strictObject({
    type: z.literal('python'),
    name: name.optional(),
    source: z.string(),
    image_tag: z.string().optional(),
    pass_threshold: threshold.optional(),
  })
  .superRefine((_g, ctx) => ctx.addIssue({ code: 'custom', path: ['type'], message: PYTHON_REFUSED }))
  .openapi('PythonGrader');

/** A grader that is not `multi` (a multi grader cannot hold another). */
export const SimpleGraderSchema = z
  .discriminatedUnion('type', [
    StringCheckGraderSchema,
    TextSimilarityGraderSchema,
    ScoreModelGraderSchema,
    LabelModelGraderSchema,
    PythonGraderSchema,
  ])
  .openapi('SimpleGrader');

export const MULTI_FORMULA_FUNCTIONS = ['min', 'max', 'abs', 'floor', 'ceil', 'exp', 'sqrt', 'log'] as const;

export const MultiGraderSchema = z
  .strictObject({
    type: z.literal('multi'),
    name,
    /**
     * The graders the formula combines, by the variable name it uses for each (OpenAI's guide).
     * A single grader (the shape of OpenAI's published schema) is named by its `name`.
     */
    graders: z.union([
      z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), SimpleGraderSchema),
      SimpleGraderSchema,
    ]),
    /** Arithmetic over the graders' names: + - * / ^, parentheses, min max abs floor ceil exp sqrt log. */
    calculate_output: z.string().min(1).max(4096),
    pass_threshold: threshold.optional(),
  })
  .openapi('MultiGrader');

export const GraderSchema = z
  .discriminatedUnion('type', [
    StringCheckGraderSchema,
    TextSimilarityGraderSchema,
    ScoreModelGraderSchema,
    LabelModelGraderSchema,
    PythonGraderSchema,
    MultiGraderSchema,
  ])
  .openapi('Grader');

export const RunGraderRequestSchema = z
  .strictObject({
    grader: GraderSchema,
    /** Becomes the `sample` namespace (`output_text`; `output_json` when it parses as JSON). */
    model_sample: z.string().max(1024 * 1024),
    /** Becomes the `item` namespace. */
    item: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('RunGraderRequest');

export const GraderRunErrorsSchema = z
  .object({
    formula_parse_error: z.boolean(),
    sample_parse_error: z.boolean(),
    truncated_observation_error: z.boolean(),
    unresponsive_reward_error: z.boolean(),
    invalid_variable_error: z.boolean(),
    other_error: z.boolean(),
    python_grader_server_error: z.boolean(),
    python_grader_server_error_type: z.string().nullable(),
    python_grader_runtime_error: z.boolean(),
    python_grader_runtime_error_details: z.string().nullable(),
    model_grader_server_error: z.boolean(),
    model_grader_refusal_error: z.boolean(),
    model_grader_parse_error: z.boolean(),
    model_grader_server_error_details: z.string().nullable(),
  })
  .openapi('GraderRunErrors');

export const RunGraderResponseSchema = z
  .object({
    reward: z.number(),
    metadata: z.object({
      name: z.string(),
      type: z.string(),
      errors: GraderRunErrorsSchema,
      /** Seconds. */
      execution_time: z.number(),
      scores: z.record(z.string(), z.unknown()),
      token_usage: z.int().nullable(),
      sampled_model_name: z.string().nullable(),
    }),
    sub_rewards: z.record(z.string(), z.unknown()),
    model_grader_token_usage_per_model: z.record(z.string(), z.unknown()),
  })
  .openapi('RunGraderResponse');

export const ValidateGraderRequestSchema = z
  .strictObject({ grader: GraderSchema })
  .openapi('ValidateGraderRequest');
export const ValidateGraderResponseSchema = z
  .object({ grader: GraderSchema })
  .openapi('ValidateGraderResponse');

export type EvalMessage = z.infer<typeof EvalMessageSchema>;
export type EvalMessageContent = z.infer<typeof EvalMessageContentSchema>;
export type StringCheckGrader = z.infer<typeof StringCheckGraderSchema>;
export type TextSimilarityGrader = z.infer<typeof TextSimilarityGraderSchema>;
export type ScoreModelGrader = z.infer<typeof ScoreModelGraderSchema>;
export type LabelModelGrader = z.infer<typeof LabelModelGraderSchema>;
export type PythonGrader = z.infer<typeof PythonGraderSchema>;
export type SimpleGrader = z.infer<typeof SimpleGraderSchema>;
export type MultiGrader = z.infer<typeof MultiGraderSchema>;
export type GraderDefinition = z.infer<typeof GraderSchema>;
export type RunGraderRequest = z.infer<typeof RunGraderRequestSchema>;
export type RunGraderResponse = z.infer<typeof RunGraderResponseSchema>;
