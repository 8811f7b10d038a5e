export { resolveHyperparameters, autoEpochs, autoBatchSize, countSteps, memoryPerExample } from './resolve';
export type { Resolution, ResolveInput } from './resolve';
export { checkRules, checkStepRules } from './rules';
export type { DataFacts, RuleContext } from './rules';
export { FIXED_DEFAULTS, MEMORY_BUDGET_BYTES, OPENAI_SUPPORTED } from './defaults';
