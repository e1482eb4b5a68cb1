import { FixedClock } from '@citypoints/kit';
import { openHarness, type Harness } from './harness';

const A = 'vol:POINTS:a';
const B = 'vol:POINTS:b';
const ESCROW = 'vol:ESCROW:n1';
const POOL = 'vol:ELDERLY_POOL';

describe('ledger: moved points keep their expiry', () => {
  const clock = new FixedClock(new Date('2024-01-10T00:00:00Z'));
  let h: Harness;
  const issue = (key: string, to: string, amount: number) =>
    h.tx((m) => h.ledger.post(m, { idempotencyKey: key, kind: 'SERVICE', entries: [{ accountId: 'vol:ISSUE', amount: -amount }, { accountId: to, amount }] }));
  const lots = async (account: string) =>
    ((await h.ds.query(`SELECT remaining::int AS remaining, expires_at FROM civic.ledger_lots WHERE account_id = $1 AND remaining > 0 ORDER BY expires_at, id`, [account])) as {
      remaining: number;
      expires_at: Date;
    }[]).map((l) => [l.remaining, l.expires_at.toISOString()]);

  beforeAll(async () => {
    h = await openHarness('ledger_keep_expiry', clock);
    await h.tx(async (m) => {
      for (const id of ['vol:ISSUE', 'vol:EXPIRED']) await h.ledger.openAccount(m, { id, ownerId: 'system', kind: id, allowNegative: true });
      await h.ledger.openAccount(m, { id: POOL, ownerId: 'city', kind: 'ELDERLY_POOL' });
      await h.ledger.openAccount(m, { id: ESCROW, ownerId: 'n1', kind: 'NEED_ESCROW' });
      for (const id of [A, B]) await h.ledger.openAccount(m, { id, ownerId: id, kind: 'POINTS', policy: { expiryMonths: 36 } });
    });
    await issue('i1', A, 40);
    clock.set('2024-07-01T00:00:00Z');
    await issue('i2', A, 60);
  });
  afterAll(() => h.close());

  it('a plain transfer opens a fresh lot (points are issued, not moved)', async () => {
    clock.set('2025-01-01T00:00:00Z');
    await issue('i3', B, 5);
    expect(await lots(B)).toEqual([[5, '2028-01-01T00:00:00.000Z']]);
  });

  it('a gift carries the giver lots, soonest expiring first, split by lot', async () => {
    clock.set('2025-03-01T00:00:00Z');
    const r = await h.tx((m) =>
      h.ledger.post(m, { idempotencyKey: 'gift-1', kind: 'GIFT', keepExpiry: true, entries: [{ accountId: A, amount: -50 }, { accountId: B, amount: 50 }] }),
    );
    expect(r.balances).toEqual({ [A]: 50, [B]: 55 });
    expect(await lots(A)).toEqual([[50, '2027-07-01T00:00:00.000Z']]);
    expect(await lots(B)).toEqual([
      [40, '2027-01-10T00:00:00.000Z'],
      [10, '2027-07-01T00:00:00.000Z'],
      [5, '2028-01-01T00:00:00.000Z'],
    ]);
    const history = await h.tx((m) => h.ledger.history(m, B, { limit: 2 }));
    expect(history.map((e) => [e.amount, e.balanceAfter])).toEqual([
      [10, 55],
      [40, 45],
    ]);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('passing points back and forth never makes them younger, and they still expire', async () => {
    clock.set('2026-06-01T00:00:00Z');
    await h.tx((m) => h.ledger.post(m, { idempotencyKey: 'gift-back', kind: 'GIFT', keepExpiry: true, entries: [{ accountId: B, amount: -40 }, { accountId: A, amount: 40 }] }));
    expect(await lots(A)).toEqual([
      [40, '2027-01-10T00:00:00.000Z'],
      [50, '2027-07-01T00:00:00.000Z'],
    ]);
    clock.set('2027-01-11T00:00:00Z');
    await h.tx((m) => h.ledger.expireLots(m, { expiryAccountId: 'vol:EXPIRED' }));
    expect(await h.tx((m) => h.ledger.balance(m, A))).toBe(50);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('an escrow refund gives back the expiry the held points had', async () => {
    clock.set('2027-02-01T00:00:00Z');
    await h.tx((m) => h.ledger.post(m, { idempotencyKey: 'hold-n1', kind: 'ESCROW_HOLD', entries: [{ accountId: A, amount: -30 }, { accountId: ESCROW, amount: 30 }] }));
    expect(await lots(A)).toEqual([[20, '2027-07-01T00:00:00.000Z']]);
    clock.set('2027-03-01T00:00:00Z');
    await h.tx((m) =>
      h.ledger.post(m, { idempotencyKey: 'return-n1', kind: 'ESCROW_RETURN', keepExpiry: { from: 'hold-n1' }, entries: [{ accountId: ESCROW, amount: -30 }, { accountId: A, amount: 30 }] }),
    );
    expect(await lots(A)).toEqual([
      [20, '2027-07-01T00:00:00.000Z'],
      [30, '2027-07-01T00:00:00.000Z'],
    ]);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('a donation to an account without lots moves the points and opens nothing', async () => {
    await h.tx((m) => h.ledger.post(m, { idempotencyKey: 'donate-1', kind: 'DONATION', keepExpiry: true, entries: [{ accountId: A, amount: -10 }, { accountId: POOL, amount: 10 }] }));
    expect(await h.tx((m) => h.ledger.balance(m, POOL))).toBe(10);
    expect(await h.count('ledger_lots', 'account_id = $1', [POOL])).toBe(0);
  });

  it('refuses to keep an expiry it does not know, writing nothing', async () => {
    const before = await h.count('ledger_transactions');
    await expect(
      h.tx((m) => h.ledger.post(m, { idempotencyKey: 'from-pool', kind: 'GIFT', keepExpiry: true, entries: [{ accountId: POOL, amount: -5 }, { accountId: B, amount: 5 }] })),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(
      h.tx((m) => h.ledger.post(m, { idempotencyKey: 'return-x', kind: 'ESCROW_RETURN', keepExpiry: { from: 'no-such-hold' }, entries: [{ accountId: POOL, amount: -5 }, { accountId: B, amount: 5 }] })),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await h.count('ledger_transactions')).toBe(before);
  });

  it('a retried gift replays and moves nothing twice', async () => {
    const again = await h.tx((m) =>
      h.ledger.post(m, { idempotencyKey: 'gift-1', kind: 'GIFT', keepExpiry: true, entries: [{ accountId: A, amount: -50 }, { accountId: B, amount: 50 }] }),
    );
    expect(again.replayed).toBe(true);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });
});
