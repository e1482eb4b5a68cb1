import { openHarness, type Harness } from './harness';
import { ledgerMigrationSql } from '@citypoints/ledger';

describe('ledger: posting, idempotency, invariants', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('ledger');
    await h.tx(async (m) => {
      await h.ledger.openAccount(m, { id: 'civic:ISSUE', ownerId: 'system', kind: 'ISSUE', allowNegative: true });
      await h.ledger.openAccount(m, { id: 'civic:REDEEM', ownerId: 'system', kind: 'REDEEM', allowNegative: true });
      await h.ledger.openAccount(m, { id: 'civic:CIVIC:r1', ownerId: 'r1', kind: 'CIVIC' });
      await h.ledger.openAccount(m, { id: 'civic:CIVIC:r2', ownerId: 'r2', kind: 'CIVIC' });
    });
  });
  afterAll(() => h.close());

  it('opens accounts idempotently and refuses the same id with other attributes', async () => {
    const again = await h.tx((m) => h.ledger.openAccount(m, { id: 'civic:CIVIC:r1', ownerId: 'r1', kind: 'CIVIC' }));
    expect(again).toMatchObject({ id: 'civic:CIVIC:r1', balance: 0, allowNegative: false });
    expect(await h.count('ledger_accounts')).toBe(4);
    await expect(
      h.tx((m) => h.ledger.openAccount(m, { id: 'civic:CIVIC:r1', ownerId: 'someone-else', kind: 'CIVIC' })),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('credits and debits with double entry, keeping balances, lifetime counters and history', async () => {
    const credit = await h.tx((m) =>
      h.ledger.post(m, {
        idempotencyKey: 'approve:1',
        kind: 'APPROVAL',
        memo: 'helped a neighbour',
        entries: [
          { accountId: 'civic:ISSUE', amount: -50 },
          { accountId: 'civic:CIVIC:r1', amount: 50 },
        ],
      }),
    );
    expect(credit).toMatchObject({ replayed: false, balances: { 'civic:ISSUE': -50, 'civic:CIVIC:r1': 50 } });
    const debit = await h.tx((m) =>
      h.ledger.post(m, {
        idempotencyKey: 'redeem:1',
        kind: 'REDEMPTION',
        entries: [
          { accountId: 'civic:CIVIC:r1', amount: -20 },
          { accountId: 'civic:REDEEM', amount: 20 },
        ],
      }),
    );
    expect(debit.balances['civic:CIVIC:r1']).toBe(30);
    const r1 = await h.tx((m) => h.ledger.account(m, 'civic:CIVIC:r1'));
    expect(r1).toMatchObject({ balance: 30, lifetimeEarned: 50, lifetimeSpent: 20 });
    const [issue, missing, again] = await h.tx((m) => h.ledger.accounts(m, ['civic:ISSUE', 'nope', 'civic:ISSUE']));
    expect(issue?.balance).toBe(-50);
    expect(missing).toBeNull();
    expect(again?.id).toBe('civic:ISSUE');

    const page1 = await h.tx((m) => h.ledger.history(m, 'civic:CIVIC:r1', { limit: 1 }));
    expect(page1).toHaveLength(1);
    expect(page1[0]).toMatchObject({ kind: 'REDEMPTION', amount: -20, balanceAfter: 30 });
    const page2 = await h.tx((m) => h.ledger.history(m, 'civic:CIVIC:r1', { limit: 5, before: page1[0].postingId }));
    expect(page2.map((e) => [e.kind, e.amount, e.balanceAfter, e.memo])).toEqual([['APPROVAL', 50, 50, 'helped a neighbour']]);

    const sums: { total: string }[] = await h.ds.query(`SELECT sum(amount) AS total FROM civic.ledger_postings`);
    expect(Number(sums[0].total)).toBe(0);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('refuses entries that do not sum to zero, duplicates and reserved keys with BAD_USER_INPUT', async () => {
    const before = await h.count('ledger_postings');
    const bad = [
      [{ accountId: 'civic:ISSUE', amount: -10 }, { accountId: 'civic:CIVIC:r2', amount: 9 }],
      [{ accountId: 'civic:CIVIC:r2', amount: 10 }],
      [{ accountId: 'civic:ISSUE', amount: 0 }, { accountId: 'civic:CIVIC:r2', amount: 0 }],
      [{ accountId: 'civic:ISSUE', amount: 1.5 }, { accountId: 'civic:CIVIC:r2', amount: -1.5 }],
      [{ accountId: 'civic:CIVIC:r2', amount: 5 }, { accountId: 'civic:CIVIC:r2', amount: -5 }],
    ];
    for (const entries of bad) {
      await expect(h.tx((m) => h.ledger.post(m, { idempotencyKey: 'bad', kind: 'X', entries }))).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
      });
    }
    await expect(
      h.tx((m) =>
        h.ledger.post(m, {
          idempotencyKey: 'ledger:expire-lot:1',
          kind: 'X',
          entries: [{ accountId: 'civic:ISSUE', amount: -1 }, { accountId: 'civic:CIVIC:r2', amount: 1 }],
        }),
      ),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await h.count('ledger_postings')).toBe(before);
  });

  it('refuses an overdraft with INSUFFICIENT_POINTS and changes nothing, even if the caller commits anyway', async () => {
    const postings = await h.count('ledger_postings');
    const transactions = await h.count('ledger_transactions');
    const err = await h.tx(async (m) => {
      try {
        await h.ledger.post(m, {
          idempotencyKey: 'redeem:too-much',
          kind: 'REDEMPTION',
          entries: [{ accountId: 'civic:CIVIC:r1', amount: -31 }, { accountId: 'civic:REDEEM', amount: 31 }],
        });
        return null;
      } catch (e) {
        return e as { code: string; details: unknown };
      }
    });
    expect(err).toMatchObject({ code: 'INSUFFICIENT_POINTS', details: { shortfalls: [{ accountId: 'civic:CIVIC:r1', balance: 30, required: 31 }] } });
    expect(await h.count('ledger_postings')).toBe(postings);
    expect(await h.count('ledger_transactions')).toBe(transactions);
    expect(await h.tx((m) => h.ledger.balance(m, 'civic:CIVIC:r1'))).toBe(30);
    // the key was not burnt: the same request succeeds once the points are there
    await h.tx((m) =>
      h.ledger.post(m, { idempotencyKey: 'approve:2', kind: 'APPROVAL', entries: [{ accountId: 'civic:ISSUE', amount: -1 }, { accountId: 'civic:CIVIC:r1', amount: 1 }] }),
    );
    const ok = await h.tx((m) =>
      h.ledger.post(m, {
        idempotencyKey: 'redeem:too-much',
        kind: 'REDEMPTION',
        entries: [{ accountId: 'civic:CIVIC:r1', amount: -31 }, { accountId: 'civic:REDEEM', amount: 31 }],
      }),
    );
    expect(ok.balances['civic:CIVIC:r1']).toBe(0);
  });

  it('refuses postings to unknown accounts with NOT_FOUND', async () => {
    await expect(
      h.tx((m) =>
        h.ledger.post(m, { idempotencyKey: 'ghost', kind: 'X', entries: [{ accountId: 'civic:ISSUE', amount: -1 }, { accountId: 'civic:CIVIC:ghost', amount: 1 }] }),
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('replays a retried key with the first result and moves nothing; the same key for another request is a CONFLICT', async () => {
    const request = {
      idempotencyKey: 'approve:retry',
      kind: 'APPROVAL',
      entries: [{ accountId: 'civic:ISSUE', amount: -7 }, { accountId: 'civic:CIVIC:r2', amount: 7 }],
    };
    const first = await h.tx((m) => h.ledger.post(m, request));
    // another posting in between: the replay must still report the balances the first call saw
    await h.tx((m) =>
      h.ledger.post(m, { idempotencyKey: 'approve:other', kind: 'APPROVAL', entries: [{ accountId: 'civic:ISSUE', amount: -3 }, { accountId: 'civic:CIVIC:r2', amount: 3 }] }),
    );
    const postings = await h.count('ledger_postings');
    const retry = await h.tx((m) => h.ledger.post(m, { ...request, entries: [...request.entries].reverse(), memo: 'retried' }));
    expect(retry).toEqual({ ...first, replayed: true });
    expect(retry.balances['civic:CIVIC:r2']).toBe(7);
    expect(await h.count('ledger_postings')).toBe(postings);
    expect(await h.tx((m) => h.ledger.balance(m, 'civic:CIVIC:r2'))).toBe(10);

    await expect(
      h.tx((m) => h.ledger.post(m, { ...request, entries: [{ accountId: 'civic:ISSUE', amount: -8 }, { accountId: 'civic:CIVIC:r2', amount: 8 }] })),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(h.tx((m) => h.ledger.post(m, { ...request, kind: 'OTHER' }))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await h.count('ledger_postings')).toBe(postings);
  });

  it('keeps postings append-only and backs the non-negative rule with a CHECK', async () => {
    await expect(h.ds.query(`UPDATE civic.ledger_postings SET amount = amount * 2`)).rejects.toThrow(/append-only/);
    await expect(h.ds.query(`DELETE FROM civic.ledger_transactions`)).rejects.toThrow(/append-only/);
    await expect(h.ds.query(`UPDATE civic.ledger_accounts SET balance = -1 WHERE id = 'civic:CIVIC:r2'`)).rejects.toThrow(
      /ledger_accounts_non_negative/,
    );
  });

  it('reports a balance changed behind the ledger back', async () => {
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
    await h.ds.query(`UPDATE civic.ledger_accounts SET balance = balance + 5, lifetime_spent = lifetime_spent + 1 WHERE id = 'civic:CIVIC:r2'`);
    const rules = (await h.tx((m) => h.ledger.checkInvariants(m))).map((v) => [v.rule, v.subject]);
    expect(rules).toEqual([
      ['BALANCE_NOT_SUM_OF_POSTINGS', 'civic:CIVIC:r2'],
      ['BALANCE_AFTER_MISMATCH', 'civic:CIVIC:r2'],
      ['LIFETIME_SPENT_MISMATCH', 'civic:CIVIC:r2'],
    ]);
    await h.ds.query(`UPDATE civic.ledger_accounts SET balance = balance - 5, lifetime_spent = lifetime_spent - 1 WHERE id = 'civic:CIVIC:r2'`);
  });

  it('migrates down and up again', async () => {
    const { up, down } = ledgerMigrationSql('civic_again');
    await h.ds.query(`CREATE SCHEMA civic_again`);
    for (const s of up) await h.ds.query(s);
    for (const s of down) await h.ds.query(s);
    for (const s of up) await h.ds.query(s);
    expect(await h.ds.query(`SELECT count(*)::int AS n FROM civic_again.ledger_accounts`)).toEqual([{ n: 0 }]);
  });
});
