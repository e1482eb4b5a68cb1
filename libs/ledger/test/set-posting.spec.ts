import type { EntityManager } from 'typeorm';
import { runSetPosting } from '@citypoints/ledger';
import { openHarness, type Harness } from './harness';

interface Move {
  key: string;
  kind?: string;
  ord: number;
  account: string;
  amount: number;
  owner?: string;
  accountKind?: string;
  allowNegative?: boolean;
}

/**
 * Posting inside one statement (setPostingSql): the moves come from a CTE of the statement, as a
 * grading chunk computes them, and the ledger keeps every guarantee of `post` and `postAll`.
 */
describe('ledger: set posting inside one statement', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('ledger_set');
  });
  afterAll(() => h.close());

  const statement = () => {
    const { ctes, outcome } = h.ledger.setPostingSql({ moves: 'moves', now: 'now()' });
    return `WITH moves AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::bigint[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::boolean[])
        AS m(idempotency_key, kind, memo, metadata, tx_ord, account_id, amount, owner_id, account_kind, allow_negative)
    ),${ctes}
    SELECT ${outcome}`;
  };
  const run = (m: EntityManager, moves: Move[]) =>
    runSetPosting(m, statement(), [
      moves.map((x) => x.key),
      moves.map((x) => x.kind ?? 'GRANT'),
      moves.map((x) => `memo ${x.key}`),
      moves.map((x) => JSON.stringify({ key: x.key })),
      moves.map((x) => x.ord),
      moves.map((x) => x.account),
      moves.map((x) => x.amount),
      moves.map((x) => x.owner ?? x.account.split(':')[1]),
      moves.map((x) => x.accountKind ?? 'POINTS'),
      moves.map((x) => x.allowNegative ?? false),
    ]);
  const grant = (key: string, ord: number, to: string, amount: number): Move[] => [
    { key, ord, account: 'set:issue', amount: -amount, owner: 'system', accountKind: 'ISSUE', allowNegative: true },
    { key, ord, account: to, amount },
  ];
  const balances = async (...ids: string[]) => (await h.tx((m) => h.ledger.accounts(m, ids))).map((a) => a && { balance: a.balance, earned: a.lifetimeEarned, spent: a.lifetimeSpent });

  it('opens the accounts missing and posts with running balances, every invariant sound', async () => {
    const out = await h.tx((m) => run(m, [...grant('s:1', 1, 'set:a', 30), ...grant('s:2', 2, 'set:b', 20), ...grant('s:3', 3, 'set:a', 5)]));
    expect(out).toMatchObject({ posted: 3, replayed: 0 });
    expect(await balances('set:issue', 'set:a', 'set:b')).toEqual([
      { balance: -55, earned: 0, spent: 55 },
      { balance: 35, earned: 35, spent: 0 },
      { balance: 20, earned: 20, spent: 0 },
    ]);
    const history = await h.tx((m) => h.ledger.history(m, 'set:a'));
    expect(history.map((x) => [x.amount, x.balanceAfter, x.memo])).toEqual([
      [5, 35, 'memo s:3'],
      [30, 30, 'memo s:1'],
    ]);
    const issue = await h.tx((m) => h.ledger.history(m, 'set:issue'));
    expect(issue.map((x) => x.balanceAfter)).toEqual([-55, -50, -30]);
    // accounts already open are added to under their lock, not replaced
    await h.tx((m) => run(m, grant('s:4', 1, 'set:b', 7)));
    expect(await balances('set:b')).toEqual([{ balance: 27, earned: 27, spent: 0 }]);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('replays a key posted before, in a set or one by one, and refuses a key reused for another request', async () => {
    const postings = await h.count('ledger_postings');
    expect(await h.tx((m) => run(m, grant('s:1', 1, 'set:a', 30)))).toMatchObject({ posted: 0, replayed: 1 });
    expect(await h.count('ledger_postings')).toBe(postings);
    // the request hash is the one `post` computes: the same request by another road replays
    expect(await h.tx((m) => h.ledger.post(m, { idempotencyKey: 's:2', kind: 'GRANT', entries: [{ accountId: 'set:b', amount: 20 }, { accountId: 'set:issue', amount: -20 }] }))).toMatchObject({ replayed: true });
    await h.tx((m) => h.ledger.post(m, { idempotencyKey: 's:single', kind: 'GRANT', entries: [{ accountId: 'set:issue', amount: -1 }, { accountId: 'set:b', amount: 1 }] }));
    expect(await h.tx((m) => run(m, grant('s:single', 1, 'set:b', 1)))).toMatchObject({ posted: 0, replayed: 1 });
    await expect(h.tx((m) => run(m, grant('s:1', 1, 'set:a', 31)))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(h.tx((m) => run(m, [...grant('s:new', 1, 'set:a', 1), ...grant('s:2', 2, 'set:b', 99)]))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await h.count('ledger_postings')).toBe(postings + 2);
    expect(await h.count('ledger_transactions', `idempotency_key = 's:new'`)).toBe(0);
  });

  it('refuses what is not a sound double entry and writes nothing of the set', async () => {
    const transactions = await h.count('ledger_transactions');
    const accounts = await h.count('ledger_accounts');
    const bad: Move[][] = [
      // does not sum to zero
      [{ key: 'b:1', ord: 1, account: 'set:issue', amount: -2, owner: 'system', accountKind: 'ISSUE', allowNegative: true }, { key: 'b:1', ord: 1, account: 'set:new1', amount: 1 }],
      // one entry
      [{ key: 'b:2', ord: 1, account: 'set:new2', amount: 0 }],
      // the same account twice in one transaction
      [{ key: 'b:3', ord: 1, account: 'set:new3', amount: 1 }, { key: 'b:3', ord: 1, account: 'set:new3', amount: -1 }],
      // a reserved key
      grant('ledger:b4', 1, 'set:new4', 1),
      // a good transaction beside a bad one
      [...grant('b:5', 1, 'set:new5', 1), { key: 'b:6', ord: 2, account: 'set:issue', amount: -1, owner: 'system', accountKind: 'ISSUE', allowNegative: true }],
    ];
    for (const moves of bad) await expect(h.tx((m) => run(m, moves))).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await h.count('ledger_transactions')).toBe(transactions);
    expect(await h.count('ledger_accounts')).toBe(accounts);
  });

  it('refuses to take an account below zero, at the end or on the way, and an account open with other attributes or expiring points', async () => {
    await h.tx((m) => h.ledger.openAccounts(m, [{ id: 'set:vol', ownerId: 'vol', kind: 'POINTS', policy: { expiryMonths: 12 } }]));
    const postings = await h.count('ledger_postings');
    const spend = (key: string, ord: number, from: string, amount: number, owner?: string): Move[] => [
      { key, ord, account: from, amount: -amount, owner },
      { key, ord, account: 'set:issue', amount, owner: 'system', accountKind: 'ISSUE', allowNegative: true },
    ];
    // set:a holds 35: 40 is too much, and so is a spend of 40 before a grant of 10 that would end at 5
    await expect(h.tx((m) => run(m, spend('n:1', 1, 'set:a', 40)))).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    await expect(h.tx((m) => run(m, [...spend('n:2', 1, 'set:a', 40), ...grant('n:3', 2, 'set:a', 10)]))).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    // a new account cannot start below zero either
    await expect(h.tx((m) => run(m, spend('n:4', 1, 'set:fresh', 1)))).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    // the other order is fine: the grant comes first
    expect(await h.tx((m) => run(m, [...grant('n:5', 1, 'set:a', 10), ...spend('n:6', 2, 'set:a', 40)]))).toMatchObject({ posted: 2 });
    expect(await balances('set:a')).toEqual([{ balance: 5, earned: 45, spent: 40 }]);
    await expect(h.tx((m) => run(m, grant('n:7', 1, 'set:a', 1).map((x) => (x.account === 'set:a' ? { ...x, owner: 'somebody else' } : x))))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(h.tx((m) => run(m, grant('n:8', 1, 'set:vol', 1)))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await h.count('ledger_postings')).toBe(postings + 4);
    expect(await h.count('ledger_accounts', `id = 'set:fresh'`)).toBe(0);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });
});
