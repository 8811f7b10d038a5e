export * from './parse';
export * from './fields';
export * from './lambdas';
export * from './secrets';
