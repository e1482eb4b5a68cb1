import type { EntityManager } from 'typeorm';
import { badInput } from '@citypoints/kit';
import type { LedgerScope } from './internal';

/** Which lots a debit of an expiring account may take. */
export type LotMode = { kind: 'unexpired' } | { kind: 'all' } | { kind: 'one'; lotId: number };

/** A part of a lot a debit takes, with the lot's expiry (which moved points keep). */
export interface LotPart {
  lotId: number;
  amount: number;
  expiresAt: Date;
}

/** Lots to debit, soonest-expiring first; null when the allowed lots do not cover the amount. */
export async function takeFromLots(s: LedgerScope, m: EntityManager, accountId: string, amount: number, mode: LotMode, now: Date): Promise<LotPart[] | null> {
  // the account row is locked by now and lots only change under that lock, so no lot lock is needed
  const params: unknown[] = [accountId];
  let filter = '';
  if (mode.kind === 'unexpired') filter = `AND expires_at > $${params.push(now)}`;
  if (mode.kind === 'one') filter = `AND id = $${params.push(mode.lotId)}`;
  const lots: { id: string; remaining: string; expires_at: Date }[] = await m.query(
    `SELECT id, remaining, expires_at FROM ${s.t.lots} WHERE account_id = $1 AND remaining > 0 ${filter}
      ORDER BY expires_at, id`,
    params,
  );
  const taken: LotPart[] = [];
  let left = amount;
  for (const lot of lots) {
    if (left === 0) break;
    const part = Math.min(left, Number(lot.remaining));
    taken.push({ lotId: Number(lot.id), amount: part, expiresAt: lot.expires_at });
    left -= part;
  }
  return left === 0 ? taken : null;
}

/**
 * The expiries of the points an earlier transaction took out of lots (soonest first): where points
 * parked in an account without lots (an escrow) came from.
 */
export async function lotsDebitedBy(s: LedgerScope, m: EntityManager, idempotencyKey: string): Promise<{ amount: number; expiresAt: Date }[]> {
  const rows: { amount: string; expires_at: Date }[] = await m.query(
    `SELECT -p.amount AS amount, l.expires_at
       FROM ${s.t.transactions} t
       JOIN ${s.t.postings} p ON p.transaction_id = t.id AND p.amount < 0
       JOIN ${s.t.lots} l ON l.id = p.lot_id
      WHERE t.idempotency_key = $1
      ORDER BY l.expires_at, l.id`,
    [idempotencyKey],
  );
  return rows.map((r) => ({ amount: Number(r.amount), expiresAt: r.expires_at }));
}

/**
 * Splits a credit of moved points into parts by the expiry they had, taking from `sources` (which
 * it consumes, soonest expiring first). Moving points never makes them younger, so a credit the
 * sources do not cover is refused.
 */
export function carriedParts(sources: { amount: number; expiresAt: Date }[], accountId: string, amount: number): { amount: number; expiresAt: Date }[] {
  const parts: { amount: number; expiresAt: Date }[] = [];
  let left = amount;
  while (left > 0 && sources.length) {
    const src = sources[0];
    const part = Math.min(left, src.amount);
    parts.push({ amount: part, expiresAt: src.expiresAt });
    src.amount -= part;
    left -= part;
    if (src.amount === 0) sources.shift();
  }
  if (left > 0) {
    throw badInput(`the points credited to ${accountId} do not all come from lots, so their expiry is unknown`, { accountId });
  }
  return parts;
}
