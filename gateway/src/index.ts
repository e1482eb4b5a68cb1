export * from './gateway';
export * from './compose';
export * from './limits';
export * from './options';
