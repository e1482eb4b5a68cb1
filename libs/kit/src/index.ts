export * from './errors';
export * from './identity';
export * from './divisions';
export * from './clock';
export * from './pagination';
export * from './random';
export * from './keys';
export * from './own';
