import { FixedClock } from '@citypoints/kit';
import { openHarness, settleAll, type Harness } from './harness';

const V = 'vol:POINTS:v1';

describe('ledger: expiring lots and yearly settlement', () => {
  const clock = new FixedClock(new Date('2024-01-10T00:00:00Z'));
  let h: Harness;
  const credit = (key: string, amount: number) =>
    h.tx((m) => h.ledger.post(m, { idempotencyKey: key, kind: 'SERVICE', entries: [{ accountId: 'vol:ISSUE', amount: -amount }, { accountId: V, amount }] }));
  const spend = (key: string, amount: number) =>
    h.tx((m) => h.ledger.post(m, { idempotencyKey: key, kind: 'EXCHANGE', entries: [{ accountId: V, amount: -amount }, { accountId: 'vol:SPENT', amount }] }));
  const lots = async () =>
    (await h.ds.query(`SELECT original_amount::int AS original, remaining::int AS remaining, expires_at FROM civic.ledger_lots WHERE account_id = $1 ORDER BY id`, [V])) as {
      original: number;
      remaining: number;
      expires_at: Date;
    }[];

  beforeAll(async () => {
    h = await openHarness('ledger_lots', clock);
    await h.tx(async (m) => {
      for (const id of ['vol:ISSUE', 'vol:SPENT', 'vol:EXPIRED', 'civic:RED_SETTLED']) {
        await h.ledger.openAccount(m, { id, ownerId: 'system', kind: id, allowNegative: true });
      }
      await h.ledger.openAccount(m, { id: V, ownerId: 'v1', kind: 'POINTS', policy: { expiryMonths: 36 } });
      await h.ledger.openAccount(m, { id: 'civic:RED:p1', ownerId: 'p1', kind: 'RED', allowNegative: true, policy: { yearlySettlement: true } });
      await h.ledger.openAccount(m, { id: 'civic:RED:p2', ownerId: 'p2', kind: 'RED', allowNegative: true, policy: { yearlySettlement: true } });
    });
  });
  afterAll(() => h.close());

  it('refuses an expiring account that may go negative', async () => {
    await expect(
      h.tx((m) => h.ledger.openAccount(m, { id: 'vol:bad', ownerId: 'x', kind: 'POINTS', allowNegative: true, policy: { expiryMonths: 1 } })),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('credits become lots and a debit spends the soonest-expiring lot first, split per lot', async () => {
    await credit('c1', 100);
    clock.set('2024-06-10T00:00:00Z');
    await credit('c2', 50);
    clock.set('2025-01-10T00:00:00Z');
    await credit('c3', 30);
    expect((await lots()).map((l) => [l.original, l.remaining, l.expires_at.toISOString()])).toEqual([
      [100, 100, '2027-01-10T00:00:00.000Z'],
      [50, 50, '2027-06-10T00:00:00.000Z'],
      [30, 30, '2028-01-10T00:00:00.000Z'],
    ]);
    clock.set('2025-02-10T00:00:00Z');
    const r = await spend('s1', 120);
    expect(r.balances[V]).toBe(60);
    expect((await lots()).map((l) => l.remaining)).toEqual([0, 30, 30]);
    const history = await h.tx((m) => h.ledger.history(m, V, { limit: 2 }));
    expect(history.map((e) => [e.amount, e.balanceAfter, e.transactionId === r.transactionId])).toEqual([
      [-20, 60, true],
      [-100, 80, true],
    ]);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('does not let expired points be spent, and expires each lot once at its time', async () => {
    clock.set('2027-05-10T00:00:00Z');
    expect(await h.tx((m) => h.ledger.expireLots(m, { expiryAccountId: 'vol:EXPIRED', batchSize: 10 }))).toBe(0);
    expect(await h.tx((m) => h.ledger.balance(m, V))).toBe(60);

    clock.set('2027-07-01T00:00:00Z');
    // the 50-lot of June 2024 expired (30 left of it); the balance still shows it until the job runs
    await expect(spend('s2', 31)).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    const { ok } = await settleAll([1, 2, 3].map(() => h.tx((m) => h.ledger.expireLots(m, { expiryAccountId: 'vol:EXPIRED', batchSize: 10 }))));
    expect(ok.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await h.tx((m) => h.ledger.expireLots(m, { now: new Date('2027-12-31T00:00:00Z'), expiryAccountId: 'vol:EXPIRED', batchSize: 10 }))).toBe(0);
    expect(await h.tx((m) => h.ledger.balance(m, V))).toBe(30);
    expect(await h.tx((m) => h.ledger.balance(m, 'vol:EXPIRED'))).toBe(30);
    expect((await lots()).map((l) => l.remaining)).toEqual([0, 0, 30]);
    expect(await h.count('ledger_transactions', `kind = 'EXPIRY'`)).toBe(1);
    expect((await spend('s3', 30)).balances[V]).toBe(0);

    // an explicit `now` overrides the clock; batchSize bounds one run
    await credit('c4', 5);
    await credit('c5', 6);
    const later = new Date('2031-01-01T00:00:00Z');
    expect(await h.tx((m) => h.ledger.expireLots(m, { now: later, expiryAccountId: 'vol:EXPIRED', batchSize: 1 }))).toBe(1);
    expect(await h.tx((m) => h.ledger.expireLots(m, { now: later, expiryAccountId: 'vol:EXPIRED', batchSize: 1 }))).toBe(1);
    expect(await h.tx((m) => h.ledger.expireLots(m, { now: later, expiryAccountId: 'vol:EXPIRED', batchSize: 1 }))).toBe(0);
    expect(await h.tx((m) => h.ledger.balance(m, V))).toBe(0);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('reports lots that disagree with the balance', async () => {
    await h.ds.query(`UPDATE civic.ledger_lots SET remaining = 1 WHERE id = (SELECT max(id) FROM civic.ledger_lots)`);
    expect((await h.tx((m) => h.ledger.checkInvariants(m))).map((v) => [v.rule, v.subject])).toEqual([['LOTS_NOT_BALANCE', V]]);
    await h.ds.query(`UPDATE civic.ledger_lots SET remaining = 0 WHERE id = (SELECT max(id) FROM civic.ledger_lots)`);
  });

  it('settles a year: the statement keeps the closing balance, the balance restarts at 0, once', async () => {
    const red = (key: string, amount: number, acct = 'civic:RED:p1') =>
      h.tx((m) => h.ledger.post(m, { idempotencyKey: key, kind: 'RED_ITEM', entries: [{ accountId: 'vol:ISSUE', amount: -amount }, { accountId: acct, amount }] }));
    await red('meeting', 7);
    await red('absent', -2);
    await red('bad-record', -4, 'civic:RED:p2');
    clock.set('2025-01-01T00:00:00Z');
    const settle = (accountId: string) =>
      h.tx((m) => h.ledger.settleYear(m, { accountId, year: 2024, settlementAccountId: 'civic:RED_SETTLED' }));

    const first = await settle('civic:RED:p1');
    expect(first).toMatchObject({ accountId: 'civic:RED:p1', year: 2024, closingBalance: 5, replayed: false });
    expect(first.transactionId).toEqual(expect.any(String));
    expect(await h.tx((m) => h.ledger.balance(m, 'civic:RED:p1'))).toBe(0);
    expect(await h.tx((m) => h.ledger.balance(m, 'civic:RED_SETTLED'))).toBe(5);

    await red('meeting-2025', 1);
    const postings = await h.count('ledger_postings');
    const second = await settle('civic:RED:p1');
    expect(second).toEqual({ ...first, replayed: true });
    expect(await h.count('ledger_postings')).toBe(postings);
    expect(await h.tx((m) => h.ledger.balance(m, 'civic:RED:p1'))).toBe(1);

    // a negative year is settled too: the statement keeps it and the new year starts clean
    expect(await settle('civic:RED:p2')).toMatchObject({ closingBalance: -4 });
    expect(await h.tx((m) => h.ledger.balance(m, 'civic:RED:p2'))).toBe(0);
    expect(await h.tx((m) => h.ledger.statement(m, 'civic:RED:p2', 2024))).toMatchObject({ closingBalance: -4 });
    expect(await h.count('ledger_annual_statements')).toBe(2);

    await expect(
      h.tx((m) => h.ledger.settleYear(m, { accountId: V, year: 2024, settlementAccountId: 'civic:RED_SETTLED' })),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('settles concurrently requested years once', async () => {
    await h.tx((m) =>
      h.ledger.post(m, { idempotencyKey: 'p2-2025', kind: 'RED_ITEM', entries: [{ accountId: 'vol:ISSUE', amount: -9 }, { accountId: 'civic:RED:p2', amount: 9 }] }),
    );
    const { ok, errors } = await settleAll(
      Array.from({ length: 10 }, () =>
        h.tx((m) => h.ledger.settleYear(m, { accountId: 'civic:RED:p2', year: 2025, settlementAccountId: 'civic:RED_SETTLED' })),
      ),
    );
    expect(errors).toEqual([]);
    expect(ok.filter((s) => !s.replayed)).toHaveLength(1);
    expect(ok.every((s) => s.closingBalance === 9)).toBe(true);
    expect(await h.tx((m) => h.ledger.balance(m, 'civic:RED:p2'))).toBe(0);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });
});
