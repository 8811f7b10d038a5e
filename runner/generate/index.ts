/** Public surface of text generation: the engine, sampling and stop sequences. */
export { generate, randomSeed } from './engine';
export type {
  GenerationRequest,
  GenerationEvent,
  GenerationUsage,
  GenerationModel,
  TokenInfo,
  FinishReason,
} from './engine';
export { GREEDY, adjustLogits, argmax, chooseToken, logprobsAt } from './sampling';
export type { SamplingParams } from './sampling';
export { StopMatcher } from './stop';
export { IncrementalText } from './detokenize';
