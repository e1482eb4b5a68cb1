import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { badInput, conflict, DomainError, notFound } from '@citypoints/kit';
import { ACCOUNT_COLUMNS, checkText, MAX_ID, MAX_KEY, RESERVED_KEY_PREFIX, toAccount, type AccountRow, type LedgerScope } from './internal';
import { requestHash, validateEntries } from './posting';
import { accountToOpen, asOpened } from './accounts';
import { writeTransactions, type PostingToWrite } from './batch';
import type { LedgerAccount, OpenAccountInput, PostInput, PostingEntry, PostResult } from './types';
import { INSUFFICIENT_POINTS } from './types';

/**
 * Opens many accounts in one statement; like openAccount, an account already open with the same
 * attributes is returned as it is, one with other attributes under the same id is a CONFLICT.
 * Aligned with `inputs`.
 */
export async function openAccounts(s: LedgerScope, m: EntityManager, inputs: readonly OpenAccountInput[]): Promise<LedgerAccount[]> {
  if (inputs.length === 0) return [];
  const wanted = inputs.map(accountToOpen);
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
  return wanted.map((w) => asOpened(w, byId.get(w.id)));
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
  const postings: PostingToWrite[] = [];
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
    }
    fresh.push(p);
    results[index] = { transactionId: p.transactionId, replayed: false, balances };
  });
  if (shortfalls.length) throw new DomainError(INSUFFICIENT_POINTS, 'not enough points', { shortfalls });

  if (fresh.length && !(await writeTransactions(s, m, fresh, postings, s.clock.now()))) {
    throw conflict('an idempotency key of this bulk post is being used by another request');
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

/**
 * Set-based posting inside one SQL statement whose other parts compute what to post (a grading
 * chunk computes its totals and posts their differences in the statement that stores them).
 *
 * The caller's WITH list defines a CTE named by `moves`, one row per entry, with the columns
 *   idempotency_key text, kind text, memo text, metadata jsonb, tx_ord bigint (the order of the
 *   transactions), account_id text, amount bigint, owner_id text, account_kind text,
 *   allow_negative boolean (the attributes an account missing so far is opened with).
 * `ctes` continues that WITH list; `outcome` is a SELECT list (the `ledger_*` columns) to put in
 * the statement's final SELECT; `postingOutcome` turns that row into the refusal to throw, if
 * any. Each transaction keeps the guarantees of `post`: its entries sum to zero (at least two,
 * no account twice, no zero amount), its key posts once (a key already posted with the same
 * request replays: nothing is written for it; with another request or claimed meanwhile by
 * another transaction: CONFLICT), no account without `allowNegative` goes below 0 at any posting
 * (INSUFFICIENT_POINTS), accounts with expiring points are refused, an account open with other
 * attributes is a CONFLICT. On a refusal rows of the statement may have been written: the
 * caller throws and its transaction rolls back, so nothing of it stays.
 *
 * How it stays one statement: the transaction rows are inserted first (ON CONFLICT on the key
 * does nothing, RETURNING says which were new); the entries of the new ones are summed per
 * account and upserted into the accounts in id order (an account missing is opened with its
 * balance and lifetime totals equal to its postings, an existing one has the sums added under
 * its row lock, so a concurrent writer's committed change is never lost); the upsert returns
 * each account's balance after the statement, from which each posting's `balance_after` is the
 * balance minus the amounts posted after it. Every balance is thus the sum of its postings by
 * construction, within the one statement that writes both. The foreign keys of the postings
 * stay checked by PostgreSQL at the end of the statement.
 */
export function setPostingSql(s: LedgerScope, o: { moves: string; now: string }): { ctes: string; outcome: string } {
  const { moves, now } = o;
  const t = s.t;
  return {
    ctes: `
  ledger_tx AS (
    SELECT idempotency_key, min(kind) AS kind, min(memo) AS memo, (array_agg(metadata))[1] AS metadata, min(tx_ord) AS tx_ord,
           count(*) AS entries, count(DISTINCT account_id) AS accounts, sum(amount) AS total, bool_or(amount = 0 OR amount IS NULL) AS zero,
           count(DISTINCT kind) AS kinds,
           encode(sha256(convert_to('[' || to_json(min(kind))::text || ',[' ||
             string_agg('[' || to_json(account_id)::text || ',' || amount::text || ']', ',' ORDER BY account_id COLLATE "C") || ']]', 'UTF8')), 'hex') AS request_hash
      FROM ${moves} GROUP BY idempotency_key
  ),
  ledger_invalid AS (
    SELECT count(*) AS n FROM ledger_tx
     WHERE entries < 2 OR accounts <> entries OR total <> 0 OR zero OR kinds <> 1
        OR idempotency_key LIKE '${RESERVED_KEY_PREFIX}%' OR length(idempotency_key) NOT BETWEEN 1 AND ${MAX_KEY} OR length(kind) NOT BETWEEN 1 AND ${MAX_ID}
  ),
  ledger_new AS (
    INSERT INTO ${t.transactions} (id, idempotency_key, kind, memo, metadata, request_hash, created_at)
    SELECT gen_random_uuid(), x.idempotency_key, x.kind, x.memo, coalesce(x.metadata, '{}'::jsonb), x.request_hash, ${now}
      FROM ledger_tx x WHERE (SELECT n FROM ledger_invalid) = 0
     ORDER BY x.tx_ord
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, idempotency_key
  ),
  ledger_entries AS (
    SELECT n.id AS transaction_id, x.tx_ord, mv.account_id, mv.amount, mv.owner_id, mv.account_kind, mv.allow_negative,
           sum(mv.amount) OVER (PARTITION BY mv.account_id ORDER BY x.tx_ord ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS later
      FROM ledger_new n JOIN ledger_tx x ON x.idempotency_key = n.idempotency_key JOIN ${moves} mv ON mv.idempotency_key = n.idempotency_key
  ),
  ledger_sums AS (
    SELECT account_id, min(owner_id) AS owner_id, min(account_kind) AS account_kind, bool_and(allow_negative) AS allow_negative,
           sum(amount) AS net, coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS earned, coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS spent
      FROM ledger_entries GROUP BY account_id
  ),
  ledger_accounts AS (
    INSERT INTO ${t.accounts} AS a (id, owner_id, kind, allow_negative, policy, balance, lifetime_earned, lifetime_spent, created_at)
    SELECT account_id, owner_id, account_kind, allow_negative, '{}'::jsonb, CASE WHEN allow_negative THEN net ELSE greatest(net, 0) END, earned, spent, ${now}
      FROM ledger_sums ORDER BY account_id COLLATE "C"
    ON CONFLICT (id) DO UPDATE SET balance = a.balance + EXCLUDED.lifetime_earned - EXCLUDED.lifetime_spent,
           lifetime_earned = a.lifetime_earned + EXCLUDED.lifetime_earned, lifetime_spent = a.lifetime_spent + EXCLUDED.lifetime_spent
     WHERE a.owner_id = EXCLUDED.owner_id AND a.kind = EXCLUDED.kind AND a.allow_negative = EXCLUDED.allow_negative AND NOT a.policy ? 'expiryMonths'
    RETURNING a.id, a.balance, a.allow_negative, a.xmax = 0 AS opened
  ),
  ledger_postings AS (
    INSERT INTO ${t.postings} (transaction_id, account_id, amount, balance_after, lot_id, created_at)
    SELECT e.transaction_id, e.account_id, e.amount, a.balance - coalesce(e.later, 0), NULL, ${now}
      FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
     ORDER BY e.tx_ord, e.account_id COLLATE "C"
    RETURNING account_id, balance_after
  ),
  ledger_others AS (
    SELECT x.idempotency_key, p.request_hash = x.request_hash AS same
      FROM ledger_tx x LEFT JOIN ${t.transactions} p ON p.idempotency_key = x.idempotency_key
     WHERE NOT EXISTS (SELECT 1 FROM ledger_new n WHERE n.idempotency_key = x.idempotency_key)
  )`,
    outcome: `(SELECT n FROM ledger_invalid)::int AS ledger_invalid,
  (SELECT count(*) FROM ledger_new)::int AS ledger_posted,
  (SELECT count(*) FROM ledger_others WHERE same)::int AS ledger_replayed,
  (SELECT count(*) FROM ledger_others WHERE same IS NOT TRUE)::int AS ledger_conflicts,
  ((SELECT count(*) FROM ledger_sums) - (SELECT count(*) FROM ledger_accounts))::int AS ledger_refused_accounts,
  ((SELECT count(*) FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id WHERE NOT a.allow_negative AND p.balance_after < 0)
    + (SELECT count(*) FROM ledger_accounts a JOIN ledger_sums x ON x.account_id = a.id WHERE a.opened AND NOT a.allow_negative AND x.net < 0))::int AS ledger_shortfalls`,
  };
}

/** What `setPostingSql`'s outcome columns say. */
export interface SetPostingOutcome {
  ledger_invalid: number;
  ledger_posted: number;
  ledger_replayed: number;
  ledger_conflicts: number;
  ledger_refused_accounts: number;
  ledger_shortfalls: number;
}

/**
 * Runs a statement built with `setPostingSql` (its first row carries the outcome columns) and
 * throws the refusal it calls for: an account driven below 0 is INSUFFICIENT_POINTS whether the
 * statement saw it or the accounts' CHECK did. The caller's transaction must roll back on a throw.
 */
export async function runSetPosting<R extends SetPostingOutcome>(m: Pick<EntityManager, 'query'>, sql: string, params: unknown[]): Promise<{ rows: R[]; posted: number; replayed: number }> {
  const rows: R[] = await m.query(sql, params).catch((err: { code?: string; constraint?: string }) => {
    if (err.code === '23514' && err.constraint === 'ledger_accounts_non_negative') throw new DomainError(INSUFFICIENT_POINTS, 'not enough points');
    throw err;
  });
  if (!rows.length) throw new Error('a set posting statement returned no outcome row');
  return { rows, ...setPostingOutcome(rows[0]) };
}

/** The refusal a set posting's outcome calls for, thrown (the caller's transaction must then roll back); else how many were posted and replayed. */
export function setPostingOutcome(row: SetPostingOutcome): { posted: number; replayed: number } {
  if (row.ledger_invalid) throw badInput(`${row.ledger_invalid} transaction(s) of a set posting are not sound double entries (two or more entries of distinct accounts, non-zero amounts summing to zero, one kind, a key of their own)`);
  if (row.ledger_conflicts) throw conflict(`${row.ledger_conflicts} idempotency key(s) of a set posting were used for a different request or are being used by another one`);
  if (row.ledger_refused_accounts) throw conflict(`${row.ledger_refused_accounts} ledger account(s) of a set posting exist with other attributes or keep expiring points`);
  if (row.ledger_shortfalls) throw new DomainError(INSUFFICIENT_POINTS, 'not enough points', { postings: row.ledger_shortfalls });
  return { posted: row.ledger_posted, replayed: row.ledger_replayed };
}
