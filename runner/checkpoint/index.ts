export * from './manager';
export * from './storage';
export * from './safetensors';
export * from './signals';
export type * from './state';
