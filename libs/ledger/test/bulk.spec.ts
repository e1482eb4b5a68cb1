import { openHarness, type Harness } from './harness';
import type { PostInput } from '@citypoints/ledger';

const grant = (key: string, to: string, amount: number): PostInput => ({
  idempotencyKey: key,
  kind: 'GRANT',
  memo: `grant to ${to}`,
  entries: [
    { accountId: 'civic:ISSUE', amount: -amount },
    { accountId: to, amount },
  ],
});

describe('ledger: bulk opening and posting', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('ledger_bulk');
    await h.tx((m) =>
      h.ledger.openAccounts(m, [
        { id: 'civic:ISSUE', ownerId: 'system', kind: 'ISSUE', allowNegative: true },
        { id: 'civic:CIVIC:a', ownerId: 'a', kind: 'CIVIC' },
        { id: 'civic:CIVIC:b', ownerId: 'b', kind: 'CIVIC' },
        { id: 'civic:VOL:c', ownerId: 'c', kind: 'VOL', policy: { expiryMonths: 12 } },
      ]),
    );
  });
  afterAll(() => h.close());

  it('opens many accounts at once, idempotently, and refuses an id taken with other attributes', async () => {
    const [issue, a] = await h.tx((m) =>
      h.ledger.openAccounts(m, [
        { id: 'civic:ISSUE', ownerId: 'system', kind: 'ISSUE', allowNegative: true },
        { id: 'civic:CIVIC:a', ownerId: 'a', kind: 'CIVIC' },
      ]),
    );
    expect(issue).toMatchObject({ id: 'civic:ISSUE', allowNegative: true, balance: 0 });
    expect(a).toMatchObject({ id: 'civic:CIVIC:a', ownerId: 'a', allowNegative: false });
    expect(await h.count('ledger_accounts')).toBe(4);
    await expect(h.tx((m) => h.ledger.openAccounts(m, [{ id: 'civic:CIVIC:d', ownerId: 'd', kind: 'CIVIC' }, { id: 'civic:CIVIC:a', ownerId: 'x', kind: 'CIVIC' }]))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    // the refused call opened nothing
    expect(await h.count('ledger_accounts')).toBe(4);
  });

  it('posts many transactions with running balances, double entry and sound invariants', async () => {
    const results = await h.tx((m) => h.ledger.postAll(m, [grant('g:1', 'civic:CIVIC:a', 30), grant('g:2', 'civic:CIVIC:b', 20), grant('g:3', 'civic:CIVIC:a', 5)]));
    expect(results.map((r) => r.replayed)).toEqual([false, false, false]);
    expect(results[0].balances).toEqual({ 'civic:ISSUE': -30, 'civic:CIVIC:a': 30 });
    expect(results[1].balances).toEqual({ 'civic:ISSUE': -50, 'civic:CIVIC:b': 20 });
    expect(results[2].balances).toEqual({ 'civic:ISSUE': -55, 'civic:CIVIC:a': 35 });
    const [issue, a, b] = await h.tx((m) => h.ledger.accounts(m, ['civic:ISSUE', 'civic:CIVIC:a', 'civic:CIVIC:b']));
    expect(issue).toMatchObject({ balance: -55, lifetimeEarned: 0, lifetimeSpent: 55 });
    expect(a).toMatchObject({ balance: 35, lifetimeEarned: 35, lifetimeSpent: 0 });
    expect(b?.balance).toBe(20);
    const history = await h.tx((m) => h.ledger.history(m, 'civic:CIVIC:a'));
    expect(history.map((x) => [x.amount, x.balanceAfter, x.memo])).toEqual([
      [5, 35, 'grant to civic:CIVIC:a'],
      [30, 30, 'grant to civic:CIVIC:a'],
    ]);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('replays keys posted before, one by one or in bulk, and refuses a key reused for another request', async () => {
    await h.tx((m) => h.ledger.post(m, grant('g:single', 'civic:CIVIC:b', 1)));
    const before = await h.count('ledger_postings');
    const again = await h.tx((m) => h.ledger.postAll(m, [grant('g:1', 'civic:CIVIC:a', 30), grant('g:single', 'civic:CIVIC:b', 1), grant('g:4', 'civic:CIVIC:b', 2)]));
    expect(again.map((r) => r.replayed)).toEqual([true, true, false]);
    expect(again[0].balances).toEqual({ 'civic:ISSUE': -30, 'civic:CIVIC:a': 30 });
    expect(again[1].balances['civic:CIVIC:b']).toBe(21);
    expect(again[2].balances['civic:CIVIC:b']).toBe(23);
    expect(await h.count('ledger_postings')).toBe(before + 2);
    await expect(h.tx((m) => h.ledger.postAll(m, [grant('g:2', 'civic:CIVIC:b', 99)]))).rejects.toMatchObject({ code: 'CONFLICT' });
    // the same batch from a single post replays too
    expect(await h.tx((m) => h.ledger.post(m, grant('g:3', 'civic:CIVIC:a', 5)))).toMatchObject({ replayed: true });
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('refuses an overdraft anywhere in the batch and writes nothing of it', async () => {
    const transactions = await h.count('ledger_transactions');
    const refused = await h.tx(async (m) => {
      const err = await h.ledger
        .postAll(m, [
          grant('g:5', 'civic:CIVIC:a', 1),
          { idempotencyKey: 'spend:1', kind: 'SPEND', entries: [{ accountId: 'civic:CIVIC:b', amount: -1000 }, { accountId: 'civic:ISSUE', amount: 1000 }] },
        ])
        .catch((e: { code?: string }) => e);
      // the caller's transaction is still usable: nothing was written before the check
      await m.query('SELECT 1');
      return err;
    });
    expect(refused).toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    expect(await h.count('ledger_transactions')).toBe(transactions);
    expect((await h.tx((m) => h.ledger.account(m, 'civic:CIVIC:a')))?.balance).toBe(35);
  });

  it('refuses entries that do not balance, a key listed twice, reserved keys, unknown and expiring accounts', async () => {
    const bad: [PostInput[], string][] = [
      [[{ idempotencyKey: 'x:1', kind: 'X', entries: [{ accountId: 'civic:ISSUE', amount: -1 }, { accountId: 'civic:CIVIC:a', amount: 2 }] }], 'BAD_USER_INPUT'],
      [[grant('x:2', 'civic:CIVIC:a', 1), grant('x:2', 'civic:CIVIC:b', 1)], 'BAD_USER_INPUT'],
      [[grant('ledger:x', 'civic:CIVIC:a', 1)], 'BAD_USER_INPUT'],
      [[grant('x:3', 'civic:CIVIC:nobody', 1)], 'NOT_FOUND'],
      [[grant('x:4', 'civic:VOL:c', 1)], 'BAD_USER_INPUT'],
    ];
    const transactions = await h.count('ledger_transactions');
    for (const [inputs, code] of bad) await expect(h.tx((m) => h.ledger.postAll(m, inputs))).rejects.toMatchObject({ code });
    expect(await h.count('ledger_transactions')).toBe(transactions);
  });

  it('posts each key once when the same batch runs concurrently', async () => {
    await h.tx((m) => h.ledger.openAccounts(m, Array.from({ length: 20 }, (_, i) => ({ id: `civic:CIVIC:p${i}`, ownerId: `p${i}`, kind: 'CIVIC' }))));
    const batch = Array.from({ length: 20 }, (_, i) => grant(`par:${i}`, `civic:CIVIC:p${i}`, i + 1));
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => h.tx((m) => h.ledger.postAll(m, batch))));
    const done = outcomes.filter((o): o is PromiseFulfilledResult<Awaited<ReturnType<typeof h.ledger.postAll>>> => o.status === 'fulfilled');
    expect(done).toHaveLength(4);
    expect(done.filter((o) => o.value.every((r) => !r.replayed))).toHaveLength(1);
    expect(done.filter((o) => o.value.every((r) => r.replayed))).toHaveLength(3);
    expect(await h.count('ledger_transactions', `idempotency_key LIKE 'par:%'`)).toBe(20);
    const accounts = await h.tx((m) => h.ledger.accounts(m, batch.map((_, i) => `civic:CIVIC:p${i}`)));
    expect(accounts.map((a) => a?.balance)).toEqual(batch.map((_, i) => i + 1));
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });
});
