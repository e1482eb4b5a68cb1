/** Everything a city test needs: libs/testing's builders, tokens and client, and startCity. */
export * from '@citypoints/testing';
export * from './city';
