export type * from './store';
export type * from './blobs';
export type * from './dispatcher';
export { systemClock } from './clock';
export type { Clock, IdGenerator } from './clock';
