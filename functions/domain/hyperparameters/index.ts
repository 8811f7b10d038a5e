export { resolveHyperparameters, autoEpochs, autoBatchSize, countSteps, memoryPerExample } from './resolve';
export type { Resolution, ResolveInput } from './resolve';
export { checkRules, checkStepRules } from './rules';
export type { DataFacts, RuleContext } from './rules';
export {
  DPO_LEARNING_RATE_SCALE,
  FIXED_DEFAULTS,
  MEMORY_BUDGET_BYTES,
  OPENAI_DPO_SUPPORTED,
  OPENAI_SUPPORTED,
} from './defaults';
