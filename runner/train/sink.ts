/**
 * Progress leaves the trainer through a sink: the CLI prints JSON lines, the container entry writes
 * job events and checkpoint records to the store. Sinks may be async; the trainer awaits them.
 */
export interface MetricsReport {
  step: number;
  epoch: number;
  train_loss: number;
  train_mean_token_accuracy: number;
  lr: number;
  tokens_per_second: number;
  grad_norm?: number;
  batch_size?: number;
  valid_loss?: number;
  valid_mean_token_accuracy?: number;
  full_valid_loss?: number;
  full_valid_mean_token_accuracy?: number;
  /** Classification: held-out accuracy at a full evaluation. */
  accuracy?: number;
  /**
   * Preference pairs (DPO), TRL's rewards/* as means over the step's (or the validation) pairs:
   * β·(log πθ − log πref) of the preferred and the other answers, their difference, and how often
   * the preferred one's is strictly higher.
   */
  train_rewards_chosen?: number;
  train_rewards_rejected?: number;
  train_rewards_margin?: number;
  train_rewards_accuracy?: number;
  valid_rewards_chosen?: number;
  valid_rewards_rejected?: number;
  valid_rewards_margin?: number;
  valid_rewards_accuracy?: number;
  /**
   * A mixture of experts (num_local_experts): the step's load-balancing loss (HF's aux_loss, before
   * router_aux_loss_coef). train_loss stays the cross-entropy alone, comparable with valid_loss and
   * with dense models; the step minimises train_loss + router_aux_loss_coef × train_aux_loss.
   */
  train_aux_loss?: number;
}

export interface CheckpointReport {
  id: string;
  step: number;
  metrics: Record<string, number>;
}

export interface ProgressSink {
  metrics?(m: MetricsReport): void | Promise<void>;
  message?(
    level: 'info' | 'warn' | 'error',
    text: string,
    data?: Record<string, unknown>,
  ): void | Promise<void>;
  checkpoint?(c: CheckpointReport): void | Promise<void>;
}

/** One JSON object per line on the given stream (the CLI's sink). */
export function jsonLinesSink(write: (line: string) => void): ProgressSink {
  return {
    metrics: (m) => write(JSON.stringify({ type: 'metrics', ...m })),
    message: (level, text, data) =>
      write(JSON.stringify({ type: 'message', level, message: text, ...(data ? { data } : {}) })),
    checkpoint: (c) => write(JSON.stringify({ type: 'checkpoint', ...c })),
  };
}
