export {
  modelCatalog,
  describeConfig,
  estimateParameters,
  defaultLearningRateFor,
  formatCount,
} from './catalog';
export type { BaseModelCatalog, BaseModelInfo } from './catalog';
export { applyModelConfig, createConfigModel, tokenizerVocabSize } from './config-only';
export type { ConfigModelRequest } from './config-only';
