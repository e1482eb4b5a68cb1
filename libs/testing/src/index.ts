export * from './identity';
export * from './tokens';
export * from './graphql-client';
export * from './city';
export * from './builders';
