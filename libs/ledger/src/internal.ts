import type { EntityManager } from 'typeorm';
import { badInput, type Clock } from '@citypoints/kit';
import type { LedgerTables } from './schema';
import type { AccountPolicy, LedgerAccount } from './types';

/** What every room of the ledger works with: its tables, its schema and its clock (frozen). */
export interface LedgerScope {
  readonly t: LedgerTables;
  readonly schema: string;
  readonly clock: Clock;
}

export const MAX_ID = 200;
export const MAX_KEY = 300;
export const MAX_HISTORY = 500;
/** the ledger derives its own keys (expiry, settlement) under this prefix */
export const RESERVED_KEY_PREFIX = 'ledger:';
export const ACCOUNT_COLUMNS = 'id, owner_id, kind, allow_negative, policy, balance, lifetime_earned, lifetime_spent, created_at';

export interface AccountRow {
  id: string;
  owner_id: string;
  kind: string;
  allow_negative: boolean;
  policy: AccountPolicy;
  balance: string;
  lifetime_earned: string;
  lifetime_spent: string;
  created_at: Date;
}

export function toAccount(r: AccountRow): LedgerAccount {
  return {
    id: r.id,
    ownerId: r.owner_id,
    kind: r.kind,
    allowNegative: r.allow_negative,
    policy: r.policy,
    balance: Number(r.balance),
    lifetimeEarned: Number(r.lifetime_earned),
    lifetimeSpent: Number(r.lifetime_spent),
    createdAt: r.created_at,
  };
}

export function checkText(what: string, value: unknown, max: number): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw badInput(`${what} must be a string of 1 to ${max} characters`);
  }
}

/** One statement, ordered: every caller locks accounts in the same order, so none deadlock. */
export async function lockAccounts(s: LedgerScope, m: EntityManager, ids: string[]): Promise<Map<string, LedgerAccount>> {
  const rows: AccountRow[] = await m.query(
    `SELECT ${ACCOUNT_COLUMNS} FROM ${s.t.accounts} WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C" FOR UPDATE`,
    [[...new Set(ids)]],
  );
  return new Map(rows.map((r) => [r.id, toAccount(r)]));
}

export async function lockKey(s: LedgerScope, m: EntityManager, key: string): Promise<void> {
  await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ledger:${s.schema}:${key}`]);
}

export async function findTransaction(s: LedgerScope, m: EntityManager, key: string): Promise<{ id: string; request_hash: string } | null> {
  const rows: { id: string; request_hash: string }[] = await m.query(
    `SELECT id, request_hash FROM ${s.t.transactions} WHERE idempotency_key = $1`,
    [key],
  );
  return rows[0] ?? null;
}
