export * from './connection';
export * from './factory';
export * from './schedule';
export * from './job-runs';
export * from './chunked';
export * from './lifecycle';
