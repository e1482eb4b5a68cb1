export * from './units';
export * from './schemes';
