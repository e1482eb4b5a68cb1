export * from './caller';
export * from './tokens';
export * from './audit';
