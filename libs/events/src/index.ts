export * from './contracts';
export * from './subscriptions';
export * from './outbox';
export * from './relay';
export * from './consumer';
export * from './projection';
export * from './owner-lookup';
export * from './resident-projection';
