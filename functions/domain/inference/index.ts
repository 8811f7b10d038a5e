export { resolveModel } from './resolve';
export { chatJob, completionJob, COMPLETIONS_DEFAULT_MAX_TOKENS } from './request';
