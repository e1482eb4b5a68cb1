export * from './calendar';
export * from './state-council';
export * from './store';
