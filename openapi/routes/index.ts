export * from './common';
export * from './files';
export * from './uploads';
export * from './jobs';
export * from './models';
