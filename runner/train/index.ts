export * from './trainer';
export * from './model';
export * from './sink';
export * from './plan';
export * from './auto-batch';
export * from './early-stopping';
export * from './loss';
export * from './classify';
