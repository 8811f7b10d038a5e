export * from './records';
export * from './events';
export * from './signing';
export * from './retry';
export * from './secret-box';
export * from './engine';
export * from './endpoints';
export * from './worker';
