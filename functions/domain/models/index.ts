export {
  modelCatalog,
  describeConfig,
  estimateParameters,
  defaultLearningRateFor,
  formatCount,
} from './catalog';
export type { BaseModelCatalog, BaseModelInfo } from './catalog';
