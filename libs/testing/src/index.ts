export * from './identity';
export * from './tokens';
export * from './graphql-client';
export * from './queue';
export { FixedClock } from '@citypoints/kit';
export * from './builders';
