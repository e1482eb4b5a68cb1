export * from './gateway';
export * from './compose';
export * from './limits';
export * from './rate-limit';
export * from './admin';
export * from './options';
