export * from './routes';
export * from './outbox';
export * from './relay';
export * from './consumer';
