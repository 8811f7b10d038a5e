export * from './optimizers';
export * from './clip';
export * from './schedule';
