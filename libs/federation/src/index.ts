export * from './context';
export * from './scalars';
export * from './schema';
export * from './server';
export * from './types';
export * from './module';
export * from './my-data';
