import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { badInput, conflict, DomainError, notFound } from '@citypoints/kit';
import { ACCOUNT_COLUMNS, checkText, findTransaction, MAX_ID, MAX_KEY, RESERVED_KEY_PREFIX, toAccount, type AccountRow, type LedgerScope } from './internal';
import { carriedParts, lotsDebitedBy, takeFromLots, type LotMode } from './lots';
import type { LedgerAccount, PostInput, PostingEntry, PostResult } from './types';
import { INSUFFICIENT_POINTS } from './types';

interface PlannedPosting {
  accountId: string;
  amount: number;
  balanceAfter: number;
  lotId: number | null;
  /** a credit to an expiring account: the lot is created once the transaction row exists */
  newLot?: { months: number } | { expiresAt: Date };
}

type LotSpend = { lotId: number; amount: number };

/** A caller's post: keys under the ledger's reserved prefix are refused. */
export function post(s: LedgerScope, m: EntityManager, input: PostInput): Promise<PostResult> {
  if (typeof input.idempotencyKey === 'string' && input.idempotencyKey.startsWith(RESERVED_KEY_PREFIX)) {
    return Promise.reject(badInput(`idempotency keys starting with ${RESERVED_KEY_PREFIX} are reserved`));
  }
  return postWith(s, m, input, { kind: 'unexpired' });
}

export async function postWith(s: LedgerScope, m: EntityManager, input: PostInput, lotMode: LotMode): Promise<PostResult> {
  checkText('idempotency key', input.idempotencyKey, MAX_KEY);
  checkText('transaction kind', input.kind, MAX_ID);
  const entries = validateEntries(input.entries);
  const hash = requestHash(input.kind, entries);
  const keepExpiry = input.keepExpiry;
  if (keepExpiry !== undefined && keepExpiry !== true) checkText('keepExpiry.from', keepExpiry.from, MAX_KEY);

  // Callers repeating a key touch the same accounts, so the account locks serialise them and
  // the lookup after the lock sees the first one's commit. A key reused for other accounts is
  // caught by the unique index when the transaction row is written (see writeWithNewLots).
  const ids = entries.map((e) => e.accountId);
  const { byId, keyTaken } = await lockAccountsAndLookUp(s, m, ids, input.idempotencyKey);
  if (keyTaken) {
    const earlier = await replay(s, m, input.idempotencyKey, hash);
    if (earlier) return earlier;
  }
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length) throw notFound('ledger account', missing.join(', '));

  const now = s.clock.now();
  const planned: PlannedPosting[] = [];
  const lotSpends: (LotSpend & { expiresAt: Date })[] = [];
  const shortfalls: Record<string, unknown>[] = [];
  const credits: { account: LedgerAccount; amount: number; months: number }[] = [];
  // debits first, so moved points know the lots they leave before the credits open theirs
  for (const e of entries) {
    const account = byId.get(e.accountId)!;
    const after = account.balance + e.amount;
    if (!account.allowNegative && after < 0) {
      shortfalls.push({ accountId: account.id, balance: account.balance, required: -e.amount });
      continue;
    }
    const months = account.policy.expiryMonths;
    if (months === undefined) {
      planned.push({ accountId: account.id, amount: e.amount, balanceAfter: after, lotId: null });
    } else if (e.amount > 0) {
      credits.push({ account, amount: e.amount, months });
    } else {
      const taken = await takeFromLots(s, m, account.id, -e.amount, lotMode, now);
      if (!taken) {
        shortfalls.push({ accountId: account.id, balance: account.balance, required: -e.amount, reason: 'expired' });
        continue;
      }
      let running = account.balance;
      for (const part of taken) {
        running -= part.amount;
        planned.push({ accountId: account.id, amount: -part.amount, balanceAfter: running, lotId: part.lotId });
        lotSpends.push(part);
      }
    }
  }
  if (shortfalls.length) {
    // the first request with this key may have committed while we waited for the locks, and
    // it is what spent the points: a retry gets its result, not a refusal
    const first = await replay(s, m, input.idempotencyKey, hash);
    if (first) return first;
    throw new DomainError(INSUFFICIENT_POINTS, 'not enough points', { shortfalls });
  }
  if (credits.length) {
    const sources = keepExpiry === undefined ? null : [
      ...(keepExpiry === true ? [] : await lotsDebitedBy(s, m, keepExpiry.from)),
      ...lotSpends.map((p) => ({ amount: p.amount, expiresAt: p.expiresAt })),
    ];
    for (const c of credits) {
      let running = c.account.balance;
      const parts = sources ? carriedParts(sources, c.account.id, c.amount) : [{ amount: c.amount, months: c.months }];
      for (const part of parts) {
        running += part.amount;
        const newLot = 'months' in part ? { months: part.months } : { expiresAt: part.expiresAt };
        planned.push({ accountId: c.account.id, amount: part.amount, balanceAfter: running, lotId: null, newLot });
      }
    }
  }

  // nothing is written before every check passed, so a caller that catches the error and
  // commits anyway leaves no half-posted transaction behind
  const transactionId = randomUUID();
  const spends = lotSpends.map(({ lotId, amount }) => ({ lotId, amount }));
  const written = planned.some((p) => p.newLot !== undefined)
    ? await writeWithNewLots(s, m, input, hash, transactionId, planned, spends, entries, now)
    : await writeAtOnce(s, m, input, hash, transactionId, planned, spends, entries, now);
  if (!written) {
    const first = await replay(s, m, input.idempotencyKey, hash);
    if (first) return first;
    throw conflict(`idempotency key ${input.idempotencyKey} is being used by another request`, { idempotencyKey: input.idempotencyKey });
  }
  const balances: Record<string, number> = {};
  for (const e of entries) balances[e.accountId] = byId.get(e.accountId)!.balance + e.amount;
  return { transactionId, replayed: false, balances };
}

/**
 * The transaction row, its postings, lot spends and balances in one statement. The row is
 * claimed with ON CONFLICT DO NOTHING: when another request holds the key, nothing at all is
 * written and the caller replays (or refuses) it.
 */
async function writeAtOnce(
  s: LedgerScope,
  m: EntityManager,
  input: PostInput,
  hash: string,
  transactionId: string,
  planned: PlannedPosting[],
  lotSpends: LotSpend[],
  entries: PostingEntry[],
  now: Date,
): Promise<boolean> {
  const rows: { n: number }[] = await m.query(
    `WITH t AS (
       INSERT INTO ${s.t.transactions} (id, idempotency_key, kind, memo, metadata, request_hash, created_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, created_at AS at
     ), ${applySql(s, 8)}
     SELECT count(*)::int AS n FROM t`,
    [transactionId, input.idempotencyKey, input.kind, input.memo ?? null, JSON.stringify(input.metadata ?? {}), hash, now, ...applyParams(planned, lotSpends, entries)],
  );
  return rows[0].n === 1;
}

/** Credits that open lots: the row is claimed and the lots written first, for their ids. */
async function writeWithNewLots(
  s: LedgerScope,
  m: EntityManager,
  input: PostInput,
  hash: string,
  transactionId: string,
  planned: PlannedPosting[],
  lotSpends: LotSpend[],
  entries: PostingEntry[],
  now: Date,
): Promise<boolean> {
  const claimed: { id: string }[] = await m.query(
    `INSERT INTO ${s.t.transactions} (id, idempotency_key, kind, memo, metadata, request_hash, created_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
    [transactionId, input.idempotencyKey, input.kind, input.memo ?? null, JSON.stringify(input.metadata ?? {}), hash, now],
  );
  if (!claimed.length) return false;
  for (const p of planned) {
    if (p.newLot === undefined) continue;
    // a fresh lot is valid its account's months from now; moved points keep the expiry they had
    const lot: { id: string }[] = await m.query(
      `INSERT INTO ${s.t.lots} (account_id, original_amount, remaining, expires_at, created_at, source_transaction_id)
       VALUES ($1, $2, $2, coalesce($6::timestamptz, $3::timestamptz + make_interval(months => $4)), $3, $5) RETURNING id`,
      [p.accountId, p.amount, now, 'months' in p.newLot ? p.newLot.months : 0, transactionId, 'expiresAt' in p.newLot ? p.newLot.expiresAt : null],
    );
    p.lotId = Number(lot[0].id);
  }
  await m.query(`WITH t AS (SELECT $1::uuid AS id, $2::timestamptz AS at), ${applySql(s, 3)} SELECT 1`, [transactionId, now, ...applyParams(planned, lotSpends, entries)]);
  return true;
}

/**
 * The CTEs that write a transaction's postings and apply them to lots and balances, for the
 * transaction row `t (id, at)`; nothing is written when `t` is empty. Parameters from `$n` on
 * are those of applyParams.
 */
function applySql(s: LedgerScope, n: number): string {
  const $ = (i: number) => `$${n + i}`;
  return `p AS (
       INSERT INTO ${s.t.postings} (transaction_id, account_id, amount, balance_after, lot_id, created_at)
       SELECT t.id, x.a, x.amt, x.after, x.lot, t.at
         FROM t, unnest(${$(0)}::text[], ${$(1)}::bigint[], ${$(2)}::bigint[], ${$(3)}::bigint[]) AS x(a, amt, after, lot)
     ), l AS (
       UPDATE ${s.t.lots} l SET remaining = l.remaining - x.amt
         FROM unnest(${$(4)}::bigint[], ${$(5)}::bigint[]) AS x(id, amt)
        WHERE l.id = x.id AND EXISTS (SELECT 1 FROM t)
     ), u AS (
       UPDATE ${s.t.accounts} a
          SET balance = a.balance + x.amt,
              lifetime_earned = a.lifetime_earned + greatest(x.amt, 0),
              lifetime_spent = a.lifetime_spent + greatest(-x.amt, 0)
         FROM unnest(${$(6)}::text[], ${$(7)}::bigint[]) AS x(id, amt)
        WHERE a.id = x.id AND EXISTS (SELECT 1 FROM t)
     )`;
}

function applyParams(planned: PlannedPosting[], lotSpends: LotSpend[], entries: PostingEntry[]): unknown[] {
  return [
    planned.map((p) => p.accountId),
    planned.map((p) => p.amount),
    planned.map((p) => p.balanceAfter),
    planned.map((p) => p.lotId),
    lotSpends.map((x) => x.lotId),
    lotSpends.map((x) => x.amount),
    entries.map((e) => e.accountId),
    entries.map((e) => e.amount),
  ];
}

/**
 * Locks the accounts and, in the same round trip, looks the key up. The lookup's snapshot is
 * taken before the locks are granted, so it can miss a request with the same key that
 * committed meanwhile; the unique key on the transaction row and the replay before a refusal
 * catch that case.
 */
async function lockAccountsAndLookUp(s: LedgerScope, m: EntityManager, ids: string[], key: string): Promise<{ byId: Map<string, LedgerAccount>; keyTaken: boolean }> {
  const rows: (AccountRow & { key_taken: boolean })[] = await m.query(
    `WITH locked AS (
       SELECT ${ACCOUNT_COLUMNS} FROM ${s.t.accounts} WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C" FOR UPDATE
     )
     SELECT locked.*, EXISTS (SELECT 1 FROM ${s.t.transactions} WHERE idempotency_key = $2) AS key_taken
       FROM locked`,
    [[...new Set(ids)], key],
  );
  return { byId: new Map(rows.map((r) => [r.id, toAccount(r)])), keyTaken: rows.some((r) => r.key_taken) };
}

async function replay(s: LedgerScope, m: EntityManager, key: string, hash: string): Promise<PostResult | null> {
  const found = await findTransaction(s, m, key);
  if (!found) return null;
  if (found.request_hash !== hash) {
    throw conflict(`idempotency key ${key} was already used for a different request`, { idempotencyKey: key });
  }
  // the balances right after the first posting, as the first caller saw them
  const rows: { account_id: string; balance_after: string }[] = await m.query(
    `SELECT DISTINCT ON (account_id) account_id, balance_after FROM ${s.t.postings}
      WHERE transaction_id = $1 ORDER BY account_id, id DESC`,
    [found.id],
  );
  return {
    transactionId: found.id,
    replayed: true,
    balances: Object.fromEntries(rows.map((r) => [r.account_id, Number(r.balance_after)])),
  };
}

export function validateEntries(entries: PostingEntry[]): PostingEntry[] {
  if (!Array.isArray(entries) || entries.length < 2) throw badInput('a transaction needs at least two entries');
  const seen = new Set<string>();
  let sum = 0;
  for (const e of entries) {
    checkText('account id', e.accountId, MAX_ID);
    if (!Number.isSafeInteger(e.amount) || e.amount === 0) {
      throw badInput('each entry amount must be a non-zero whole number of points', { accountId: e.accountId });
    }
    if (seen.has(e.accountId)) throw badInput(`account ${e.accountId} appears twice in one transaction`);
    seen.add(e.accountId);
    sum += e.amount;
  }
  if (sum !== 0) throw badInput(`entries must sum to zero (double entry), they sum to ${sum}`, { sum });
  return entries.map((e) => ({ accountId: e.accountId, amount: e.amount }));
}

/** What makes two requests "the same" for idempotency: the kind and the entries, in any order. */
export function requestHash(kind: string, entries: PostingEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([kind, sorted.map((e) => [e.accountId, e.amount])]))
    .digest('hex');
}
