/**
 * DPO (`method: {type: "dpo"}`): OpenAI's `beta` next to the full supervised set, plus cDPO's label
 * smoothing. Every supervised hyperparameter still applies to a DPO job (schedules, accumulation,
 * clipping, checkpointing, early stopping, sampling); these two are what only DPO has.
 */
import { z } from '@hono/zod-openapi';
import { HyperparametersSchema, ResolvedHyperparametersSchema } from './hyperparameters';

const d = (description: string) => ({ description });

const beta = z.number().gt(0).max(2);
const labelSmoothing = z.number().min(0).lt(0.5);

export const DpoHyperparametersSchema = HyperparametersSchema.extend({
  beta: z
    .union([z.literal('auto'), beta])
    .optional()
    .openapi(
      d(
        "OpenAI's beta, 0 < β ≤ 2: how strongly the tuned model is held to the model it starts from (the reference). " +
          'A higher beta weighs the divergence from the reference more. `auto`: 0.1.',
      ),
    ),
  label_smoothing: labelSmoothing
    .optional()
    .openapi(
      d(
        'Conservative DPO (cDPO): the assumed probability, 0 ≤ ε < 0.5, that a pair is labelled the wrong way round. ' +
          '0 (the default) is plain DPO.',
      ),
    ),
}).openapi('DpoHyperparameters');

export const ResolvedDpoHyperparametersSchema = ResolvedHyperparametersSchema.extend({
  beta,
  label_smoothing: labelSmoothing,
}).openapi('ResolvedDpoHyperparameters');

export type DpoHyperparameters = z.infer<typeof DpoHyperparametersSchema>;
export type ResolvedDpoHyperparameters = z.infer<typeof ResolvedDpoHyperparametersSchema>;

/** What only DPO has, resolved. */
export type DpoSettings = Pick<ResolvedDpoHyperparameters, 'beta' | 'label_smoothing'>;

/** Beta and label smoothing when a request leaves them out (TRL's and the DPO paper's usual β). */
export const DEFAULT_DPO_SETTINGS: DpoSettings = { beta: 0.1, label_smoothing: 0 };
