/** Public surface of the model package: configs, the decoder model and its construction. */
export { parseModelConfig, dims } from './config';
export type { ModelConfig, Gpt2Config, LlamaConfig, ModelDims } from './config';
export { createModel } from './model';
export type { DecoderModel, ForwardOptions, HostTensor, CreateModelOptions } from './model';
export { variableGrads } from './backprop';
export { createDecoder } from './decoder';
export type { Decoder } from './decoder';
export { KvCache, kvCacheBytes } from './kv-cache';
export { toGroupedQuery } from './gqa';
export type { GroupedQueryModel } from './gqa';
