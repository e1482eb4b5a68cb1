import type { EntityManager } from 'typeorm';
import { badInput } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True for a UUID in its canonical 8-4-4-4-12 hex form. Ids of residents, records, needs and runs
 * are UUIDs: anything else cannot name one, so callers answer "not found" without asking the
 * database (which would reject it as a syntax error).
 */
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

/** The longest client idempotency key any mutation accepts. */
export const IDEMPOTENCY_KEY_MAX = 200;

/**
 * A client's idempotency key: a string of 1 to IDEMPOTENCY_KEY_MAX characters, or
 * BAD_USER_INPUT on `field`. Returns the key, so a caller can check and use it in one line.
 */
export function checkIdempotencyKey(key: unknown, field = 'idempotencyKey'): string {
  if (typeof key !== 'string' || key.length < 1 || key.length > IDEMPOTENCY_KEY_MAX) {
    throw badInput(`${field} must have 1 to ${IDEMPOTENCY_KEY_MAX} characters`, { field });
  }
  return key;
}

/** Anything that runs SQL: a DataSource or an EntityManager, inside a transaction or not. */
export type Queryable = Pick<EntityManager, 'query'>;
