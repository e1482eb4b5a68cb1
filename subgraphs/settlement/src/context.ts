/** The PostgreSQL schema settlement owns, and its name as an event consumer. */
export const SCHEMA = 'settlement';
export const CONSUMER = 'settlement';
