import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { badInput, conflict, DomainError, notFound } from '@citypoints/kit';
import { ACCOUNT_COLUMNS, checkText, MAX_ID, MAX_KEY, RESERVED_KEY_PREFIX, toAccount, type AccountRow, type LedgerScope } from './internal';
import { requestHash, validateEntries } from './posting';
import { canonicalPolicy, normalisePolicy } from './accounts';
import type { LedgerAccount, OpenAccountInput, PostInput, PostingEntry, PostResult } from './types';
import { INSUFFICIENT_POINTS } from './types';

/**
 * Opens many accounts in one statement; like openAccount, an account already open with the same
 * attributes is returned as it is, one with other attributes under the same id is a CONFLICT.
 * Aligned with `inputs`.
 */
export async function openAccounts(s: LedgerScope, m: EntityManager, inputs: readonly OpenAccountInput[]): Promise<LedgerAccount[]> {
  if (inputs.length === 0) return [];
  const wanted = inputs.map((input) => {
    checkText('account id', input.id, MAX_ID);
    checkText('owner id', input.ownerId, MAX_ID);
    checkText('account kind', input.kind, MAX_ID);
    const policy = normalisePolicy(input.policy ?? {});
    const allowNegative = input.allowNegative ?? false;
    if (allowNegative && policy.expiryMonths !== undefined) {
      throw badInput('an account with expiring points cannot go negative', { accountId: input.id });
    }
    return { id: input.id, ownerId: input.ownerId, kind: input.kind, allowNegative, policy };
  });
  const ids = wanted.map((w) => w.id);
  if (new Set(ids).size !== ids.length) throw badInput('an account is listed twice');
  // the rows inserted here are returned by the insert; those already open by the SELECT (the statement's snapshot)
  const rows: (AccountRow & { inserted: boolean })[] = await m.query(
    `WITH ins AS (
       INSERT INTO ${s.t.accounts} (id, owner_id, kind, allow_negative, policy, created_at)
       SELECT x.id, x.owner, x.kind, x.neg, x.policy, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::jsonb[]) AS x(id, owner, kind, neg, policy)
       ORDER BY x.id COLLATE "C"
       ON CONFLICT (id) DO NOTHING RETURNING ${ACCOUNT_COLUMNS}
     )
     SELECT ins.*, true AS inserted FROM ins
     UNION ALL
     SELECT ${ACCOUNT_COLUMNS}, false FROM ${s.t.accounts} WHERE id = ANY($1::text[])`,
    [ids, wanted.map((w) => w.ownerId), wanted.map((w) => w.kind), wanted.map((w) => w.allowNegative), wanted.map((w) => JSON.stringify(w.policy)), s.clock.now()],
  );
  const byId = new Map(rows.map((r) => [r.id, toAccount(r)]));
  // opened by a transaction that committed while this statement waited on its row: not in the snapshot above
  const unseen = ids.filter((id) => !byId.has(id));
  if (unseen.length) {
    const late: AccountRow[] = await m.query(`SELECT ${ACCOUNT_COLUMNS} FROM ${s.t.accounts} WHERE id = ANY($1::text[])`, [unseen]);
    for (const r of late) byId.set(r.id, toAccount(r));
  }
  return wanted.map((w) => {
    const account = byId.get(w.id);
    if (!account) throw new Error(`ledger account ${w.id} vanished right after insert`);
    if (account.ownerId !== w.ownerId || account.kind !== w.kind || account.allowNegative !== w.allowNegative || canonicalPolicy(account.policy) !== canonicalPolicy(w.policy)) {
      throw conflict(`ledger account ${w.id} exists with other attributes`, { accountId: w.id });
    }
    return account;
  });
}

interface Planned {
  input: PostInput;
  entries: PostingEntry[];
  hash: string;
  transactionId: string;
}

/**
 * Many transactions between accounts without lots (no expiring points) in a fixed number of
 * round trips, whatever their number: one statement locks every account touched (in the global
 * order, as `post` does), one looks every key up, one writes every transaction row, posting and
 * balance. Each input keeps the guarantees of `post`: its entries sum to zero, its
 * key posts once (a key posted before, with the same request, replays; with another, CONFLICT),
 * no account without `allowNegative` goes below 0 (INSUFFICIENT_POINTS, and then nothing of the
 * batch is written). Inputs touching the same account apply in the order given, each posting's
 * `balance_after` the running balance. Aligned with `inputs`.
 */
export async function postAll(s: LedgerScope, m: EntityManager, inputs: readonly PostInput[]): Promise<PostResult[]> {
  if (inputs.length === 0) return [];
  const planned: Planned[] = inputs.map((input) => {
    checkText('idempotency key', input.idempotencyKey, MAX_KEY);
    if (input.idempotencyKey.startsWith(RESERVED_KEY_PREFIX)) throw badInput(`idempotency keys starting with ${RESERVED_KEY_PREFIX} are reserved`);
    checkText('transaction kind', input.kind, MAX_ID);
    if (input.keepExpiry !== undefined) throw badInput('a bulk post moves no lots: keepExpiry is for single posts', { idempotencyKey: input.idempotencyKey });
    const entries = validateEntries(input.entries);
    return { input, entries, hash: requestHash(input.kind, entries), transactionId: randomUUID() };
  });
  const keys = planned.map((p) => p.input.idempotencyKey);
  if (new Set(keys).size !== keys.length) throw badInput('an idempotency key is listed twice in one bulk post');
  const ids = [...new Set(planned.flatMap((p) => p.entries.map((e) => e.accountId)))];

  const rows: AccountRow[] = await m.query(`SELECT ${ACCOUNT_COLUMNS} FROM ${s.t.accounts} WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C" FOR UPDATE`, [ids]);
  const byId = new Map(rows.map((r) => [r.id, toAccount(r)]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length) throw notFound('ledger account', missing.join(', '));
  // looked up once the locks are held, in a statement of its own: its snapshot sees every request
  // with these keys that committed while we waited (the lock statement's snapshot predates them)
  const takenRows: { idempotency_key: string; id: string; request_hash: string }[] = await m.query(
    `SELECT idempotency_key, id, request_hash FROM ${s.t.transactions} WHERE idempotency_key = ANY($1::text[])`,
    [keys],
  );
  const taken = Object.fromEntries(takenRows.map((r) => [r.idempotency_key, [r.id, r.request_hash] as const]));

  const results: (PostResult | null)[] = planned.map(() => null);
  const running = new Map([...byId].map(([id, a]) => [id, a.balance]));
  const postings: { transactionId: string; accountId: string; amount: number; after: number }[] = [];
  const totals = new Map<string, { net: number; earned: number; spent: number }>();
  const fresh: Planned[] = [];
  const replayed: { index: number; transactionId: string }[] = [];
  const shortfalls: Record<string, unknown>[] = [];
  planned.forEach((p, index) => {
    const earlier = taken[p.input.idempotencyKey];
    if (earlier) {
      if (earlier[1] !== p.hash) throw conflict(`idempotency key ${p.input.idempotencyKey} was already used for a different request`, { idempotencyKey: p.input.idempotencyKey });
      replayed.push({ index, transactionId: earlier[0] });
      return;
    }
    const balances: Record<string, number> = {};
    for (const e of p.entries) {
      const account = byId.get(e.accountId)!;
      if (account.policy.expiryMonths !== undefined) throw badInput(`ledger account ${account.id} keeps expiring points: post to it one transaction at a time`, { accountId: account.id });
      const after = running.get(account.id)! + e.amount;
      if (!account.allowNegative && after < 0) shortfalls.push({ accountId: account.id, balance: running.get(account.id), required: -e.amount });
      running.set(account.id, after);
      balances[account.id] = after;
      postings.push({ transactionId: p.transactionId, accountId: account.id, amount: e.amount, after });
      const t = totals.get(account.id) ?? { net: 0, earned: 0, spent: 0 };
      t.net += e.amount;
      if (e.amount > 0) t.earned += e.amount;
      else t.spent -= e.amount;
      totals.set(account.id, t);
    }
    fresh.push(p);
    results[index] = { transactionId: p.transactionId, replayed: false, balances };
  });
  if (shortfalls.length) throw new DomainError(INSUFFICIENT_POINTS, 'not enough points', { shortfalls });

  if (fresh.length) {
    const now = s.clock.now();
    const params = [
      fresh.map((p) => p.transactionId),
      fresh.map((p) => p.input.idempotencyKey),
      fresh.map((p) => p.input.kind),
      fresh.map((p) => p.input.memo ?? null),
      fresh.map((p) => JSON.stringify(p.input.metadata ?? {})),
      fresh.map((p) => p.hash),
      now,
      postings.map((x) => x.transactionId),
      postings.map((x) => x.accountId),
      postings.map((x) => x.amount),
      postings.map((x) => x.after),
      [...totals.keys()],
      [...totals.values()].map((t) => t.net),
      [...totals.values()].map((t) => t.earned),
      [...totals.values()].map((t) => t.spent),
    ];
    // a key claimed meanwhile by a request on other accounts leaves its transaction row unwritten,
    // so its postings break their foreign key and the whole statement fails: nothing of the batch
    // is written (the caller's transaction is aborted and must roll back)
    const written: { n: number }[] = await m.query(
      `WITH t AS (
         INSERT INTO ${s.t.transactions} (id, idempotency_key, kind, memo, metadata, request_hash, created_at)
         SELECT x.id, x.key, x.kind, x.memo, x.metadata, x.hash, $7
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[]) AS x(id, key, kind, memo, metadata, hash)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
       ), p AS (
         INSERT INTO ${s.t.postings} (transaction_id, account_id, amount, balance_after, lot_id, created_at)
         SELECT x.t, x.a, x.amt, x.after, NULL, $7
           FROM unnest($8::uuid[], $9::text[], $10::bigint[], $11::bigint[]) WITH ORDINALITY AS x(t, a, amt, after, ord)
          ORDER BY x.ord
       ), u AS (
         UPDATE ${s.t.accounts} a
            SET balance = a.balance + x.net, lifetime_earned = a.lifetime_earned + x.earned, lifetime_spent = a.lifetime_spent + x.spent
           FROM unnest($12::text[], $13::bigint[], $14::bigint[], $15::bigint[]) AS x(id, net, earned, spent)
          WHERE a.id = x.id
       )
       SELECT count(*)::int AS n FROM t`,
      params,
    ).catch((err: { code?: string }) => {
      if (err.code === '23503') throw conflict('an idempotency key of this bulk post is being used by another request');
      throw err;
    });
    if (written[0].n !== fresh.length) throw conflict('an idempotency key of this bulk post is being used by another request');
  }

  if (replayed.length) {
    // the balances right after each first posting, as its first caller saw them
    const after: { transaction_id: string; account_id: string; balance_after: string }[] = await m.query(
      `SELECT DISTINCT ON (transaction_id, account_id) transaction_id, account_id, balance_after FROM ${s.t.postings}
        WHERE transaction_id = ANY($1::uuid[]) ORDER BY transaction_id, account_id, id DESC`,
      [replayed.map((r) => r.transactionId)],
    );
    const balancesOf = new Map<string, Record<string, number>>();
    for (const a of after) balancesOf.set(a.transaction_id, { ...balancesOf.get(a.transaction_id), [a.account_id]: Number(a.balance_after) });
    for (const r of replayed) results[r.index] = { transactionId: r.transactionId, replayed: true, balances: balancesOf.get(r.transactionId) ?? {} };
  }
  return results as PostResult[];
}
