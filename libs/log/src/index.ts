export * from './context';
export * from './logger';
export * from './redact';
export * from './metrics';
export * from './tracing';
