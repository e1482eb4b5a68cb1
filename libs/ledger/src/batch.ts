import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { badInput, conflict, DomainError, notFound } from '@citypoints/kit';
import { ACCOUNT_COLUMNS, checkText, MAX_ID, MAX_KEY, RESERVED_KEY_PREFIX, toAccount, type AccountRow, type LedgerScope } from './internal';
import { postWith, replay, requestHash, validateEntries } from './posting';
import type { LedgerAccount, PostInput, PostingEntry, PostResult } from './types';
import { INSUFFICIENT_POINTS } from './types';

/** The outcome of one post of a batch: its result, or the error it alone was refused with. */
export type BatchOutcome = { ok: true; result: PostResult } | { ok: false; error: unknown };

/**
 * Thrown (and the caller must roll back) when a key of the batch was claimed by a concurrent
 * request between the lookup and the write: the batch's running balances no longer hold.
 * The group committer then posts each of the batch's requests on its own.
 */
export class BatchKeyRace extends Error {
  constructor() {
    super('an idempotency key of the batch was claimed concurrently');
  }
}

interface Pending {
  input: PostInput;
  hash: string;
  transactionId: string;
  entries: PostingEntry[];
  balances: Record<string, number>;
}

interface Prepared {
  input: PostInput;
  entries: PostingEntry[];
  hash: string;
}

/**
 * Posts many transactions inside the caller's transaction, in the order given, with the meaning
 * of posting them one after the other: each sees the balances the earlier ones left, each is
 * refused alone (its outcome carries the error, nothing of it is written) without failing the
 * others, a key repeated in the batch replays its first post. The common case — no expiring
 * account, no carried expiry, a key not seen before — costs two statements for the whole batch:
 * one locks every account in the global order and looks every key up, one writes every
 * transaction, posting and balance. Any other post goes through the single-post path in place,
 * after the batch's earlier posts were written.
 *
 * If it throws, the caller's transaction must be rolled back (the group committer does).
 */
export async function postMany(s: LedgerScope, m: EntityManager, inputs: readonly PostInput[]): Promise<BatchOutcome[]> {
  const outcomes: (BatchOutcome | undefined)[] = new Array(inputs.length);
  const prepared: (Prepared | null)[] = inputs.map((input, i) => {
    try {
      if (typeof input.idempotencyKey === 'string' && input.idempotencyKey.startsWith(RESERVED_KEY_PREFIX)) {
        throw badInput(`idempotency keys starting with ${RESERVED_KEY_PREFIX} are reserved`);
      }
      checkText('idempotency key', input.idempotencyKey, MAX_KEY);
      checkText('transaction kind', input.kind, MAX_ID);
      if (input.keepExpiry !== undefined && input.keepExpiry !== true) checkText('keepExpiry.from', input.keepExpiry.from, MAX_KEY);
      const entries = validateEntries(input.entries);
      return { input, entries, hash: requestHash(input.kind, entries) };
    } catch (error) {
      outcomes[i] = { ok: false, error };
      return null;
    }
  });
  const valid = prepared.filter((p): p is Prepared => p !== null);
  if (!valid.length) return outcomes as BatchOutcome[];

  const ids = [...new Set(valid.flatMap((p) => p.entries.map((e) => e.accountId)))];
  const keys = [...new Set(valid.map((p) => p.input.idempotencyKey))];
  const { byId, taken } = await lockAllAndLookUp(s, m, ids, keys);

  const now = s.clock.now();
  let pending: Pending[] = [];
  const inBatch = new Map<string, { hash: string; result: PostResult }>();
  const flush = async () => {
    if (!pending.length) return;
    // each account appears once per post, so the post's resulting balance is its posting's balance_after
    const postings = pending.flatMap((p) => p.entries.map((e) => ({ transactionId: p.transactionId, accountId: e.accountId, amount: e.amount, after: p.balances[e.accountId] })));
    if (!(await writeTransactions(s, m, pending, postings, now))) throw new BatchKeyRace();
    pending = [];
  };

  for (let i = 0; i < inputs.length; i++) {
    const p = prepared[i];
    if (!p) continue;
    const key = p.input.idempotencyKey;
    const first = inBatch.get(key);
    if (first) {
      outcomes[i] =
        first.hash === p.hash
          ? { ok: true, result: { ...first.result, replayed: true } }
          : { ok: false, error: conflict(`idempotency key ${key} was already used for a different request`, { idempotencyKey: key }) };
      continue;
    }
    const accounts = p.entries.map((e) => byId.get(e.accountId));
    const simple = !taken.has(key) && p.input.keepExpiry === undefined && accounts.every((a) => a === undefined || a.policy.expiryMonths === undefined);
    if (!simple) {
      // lots, carried expiry or a replay: the single-post path, which reads what the batch wrote so far
      await flush();
      try {
        const result = await postWith(s, m, p.input, { kind: 'unexpired' });
        outcomes[i] = { ok: true, result };
        inBatch.set(key, { hash: p.hash, result });
        if (!result.replayed) for (const [id, balance] of Object.entries(result.balances)) byId.get(id)!.balance = balance;
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        outcomes[i] = { ok: false, error };
      }
      continue;
    }
    const missing = p.entries.filter((e) => !byId.has(e.accountId)).map((e) => e.accountId);
    if (missing.length) {
      outcomes[i] = { ok: false, error: notFound('ledger account', missing.join(', ')) };
      continue;
    }
    const shortfalls = p.entries.flatMap((e) => {
      const a = byId.get(e.accountId)!;
      return !a.allowNegative && a.balance + e.amount < 0 ? [{ accountId: a.id, balance: a.balance, required: -e.amount }] : [];
    });
    if (shortfalls.length) {
      // as on the single path: a first request with this key may have committed while we
      // waited for the locks, and it is what spent the points
      try {
        const earlier = await replay(s, m, key, p.hash);
        outcomes[i] = earlier ? { ok: true, result: earlier } : { ok: false, error: new DomainError(INSUFFICIENT_POINTS, 'not enough points', { shortfalls }) };
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        outcomes[i] = { ok: false, error };
      }
      continue;
    }
    const balances: Record<string, number> = {};
    for (const e of p.entries) {
      const a = byId.get(e.accountId)!;
      a.balance += e.amount;
      balances[e.accountId] = a.balance;
    }
    const result: PostResult = { transactionId: randomUUID(), replayed: false, balances };
    pending.push({ input: p.input, hash: p.hash, transactionId: result.transactionId, entries: p.entries, balances });
    inBatch.set(key, { hash: p.hash, result });
    outcomes[i] = { ok: true, result };
  }
  await flush();
  return outcomes as BatchOutcome[];
}

/** Every account of the batch locked in the global order, and which of its keys are taken: one round trip. */
async function lockAllAndLookUp(s: LedgerScope, m: EntityManager, ids: string[], keys: string[]): Promise<{ byId: Map<string, LedgerAccount>; taken: Set<string> }> {
  const rows: (AccountRow & { taken: string[] | null })[] = await m.query(
    `WITH locked AS (
       SELECT ${ACCOUNT_COLUMNS} FROM ${s.t.accounts} WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C" FOR UPDATE
     ), k AS (
       SELECT array_agg(idempotency_key) AS taken FROM ${s.t.transactions} WHERE idempotency_key = ANY($2::text[])
     )
     SELECT locked.*, k.taken FROM locked, k`,
    [ids, keys],
  );
  return { byId: new Map(rows.map((r) => [r.id, toAccount(r)])), taken: new Set(rows[0]?.taken ?? []) };
}

/** A transaction row to write with `writeTransactions`. */
export interface TransactionToWrite {
  transactionId: string;
  input: PostInput;
  hash: string;
}

/** A posting to write with `writeTransactions`: `after` is its account's balance right after it. */
export interface PostingToWrite {
  transactionId: string;
  accountId: string;
  amount: number;
  after: number;
}

/**
 * Transaction rows, their postings and the accounts' balances and lifetime totals in one
 * statement (of postMany's batches and of postAll), the accounts locked by the caller. Postings
 * are written in the order given, so an account's last one carries its balance. A key claimed
 * meanwhile by a request on other accounts leaves its transaction row unwritten, so its
 * postings break their foreign key and the statement fails: nothing of it is written, false is
 * returned and the caller must throw (its transaction is aborted and has to roll back).
 */
export async function writeTransactions(s: LedgerScope, m: EntityManager, txs: readonly TransactionToWrite[], postings: readonly PostingToWrite[], now: Date): Promise<boolean> {
  const rows: { n: number }[] | null = await m
    .query(
      `WITH t AS (
         INSERT INTO ${s.t.transactions} (id, idempotency_key, kind, memo, metadata, request_hash, created_at)
         SELECT x.id, x.k, x.kind, x.memo, x.meta, x.hash, $7
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[]) AS x(id, k, kind, memo, meta, hash)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
       ), p AS (
         INSERT INTO ${s.t.postings} (transaction_id, account_id, amount, balance_after, lot_id, created_at)
         SELECT x.tx, x.a, x.amt, x.after, NULL, $7
           FROM unnest($8::uuid[], $9::text[], $10::bigint[], $11::bigint[]) WITH ORDINALITY AS x(tx, a, amt, after, ord)
          ORDER BY x.ord
       ), u AS (
         UPDATE ${s.t.accounts} a
            SET balance = a.balance + x.amt, lifetime_earned = a.lifetime_earned + x.earned, lifetime_spent = a.lifetime_spent + x.spent
           FROM (SELECT id, sum(amt) AS amt, sum(greatest(amt, 0)) AS earned, sum(greatest(-amt, 0)) AS spent
                   FROM unnest($9::text[], $10::bigint[]) AS y(id, amt) GROUP BY id) x
          WHERE a.id = x.id
       )
       SELECT count(*)::int AS n FROM t`,
      [
        txs.map((x) => x.transactionId),
        txs.map((x) => x.input.idempotencyKey),
        txs.map((x) => x.input.kind),
        txs.map((x) => x.input.memo ?? null),
        txs.map((x) => JSON.stringify(x.input.metadata ?? {})),
        txs.map((x) => x.hash),
        now,
        postings.map((x) => x.transactionId),
        postings.map((x) => x.accountId),
        postings.map((x) => x.amount),
        postings.map((x) => x.after),
      ],
    )
    .catch((err: { code?: string }) => {
      if (err.code === '23503') return null;
      throw err;
    });
  return rows !== null && rows[0].n === txs.length;
}
