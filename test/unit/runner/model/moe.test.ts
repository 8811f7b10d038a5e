import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../../../runner/model';
import { runSession } from '../../../../runner/train/session';

const LLAMA = {
  model_type: 'llama',
  vocab_size: 20,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  max_position_embeddings: 16,
};

function refusal(f: () => unknown): { param?: string; code?: string; message: string } | undefined {
  try {
    f();
  } catch (e) {
    return e as { param?: string; code?: string; message: string };
  }
  return undefined;
}

describe('Mixtral keys before the mixture-of-experts feed-forward exists', () => {
  it.each(['num_local_experts', 'num_experts_per_tok', 'router_aux_loss_coef', 'output_router_logits'])(
    'refuses %s by name instead of training a dense model',
    (key) => {
      const err = refusal(() =>
        parseModelConfig({ ...LLAMA, [key]: key === 'output_router_logits' ? true : 2 }),
      );
      expect(err?.code).toBe('invalid_model_config');
      expect(err?.param).toBe(`config.${key}`);
      expect(err?.message).toMatch(/mixture-of-experts/);
    },
  );

  it('fails a training session on a config naming num_local_experts before any step', async () => {
    await expect(
      runSession({
        model: { config: { ...LLAMA, num_local_experts: 4, num_experts_per_tok: 2 } },
        train: 'abc abc abc abc abc abc abc abc',
        hyperparameters: { n_epochs: 1, batch_size: 1 },
      }),
    ).rejects.toMatchObject({ param: 'config.num_local_experts', code: 'invalid_model_config' });
  });
});
