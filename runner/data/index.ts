export * from './formats';
export * from './template';
export * from './dataset';
export * from './batch';
export * from './sampler';
export * from './rng';
export type { TextTokenizer } from './tokenizer';
