import type { EntityManager } from 'typeorm';
import { checkIdempotencyKey } from '@citypoints/kit';

/** A client's idempotency key, trimmed: 1 to the kit's limit of characters. */
export const validKey = (raw: string | null | undefined): string => checkIdempotencyKey((raw ?? '').trim());

/**
 * Serialises the requests of one caller under one key until the transaction ends. Keys are
 * scoped to the caller (docs/domain/09-access.md): the stored row is looked up by (caller, key), so another
 * caller's key never finds it, and the lookup comes after the request was authorised.
 */
export async function lockCallerKey(m: EntityManager, scope: string, callerSub: string, key: string): Promise<void> {
  await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [callerKeyLock(scope, callerSub, key)]);
}

/** The text whose hash names the advisory lock of one caller's key (for a statement that takes it along with a read). */
export const callerKeyLock = (scope: string, callerSub: string, key: string): string => JSON.stringify([`civic:${scope}`, callerSub, key]);
