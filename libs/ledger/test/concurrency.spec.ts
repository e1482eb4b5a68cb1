import { openHarness, settleAll, type Harness } from './harness';

describe('ledger under concurrency', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('ledger_concurrency');
    await h.tx(async (m) => {
      await h.ledger.openAccount(m, { id: 'civic:ISSUE', ownerId: 'system', kind: 'ISSUE', allowNegative: true });
      await h.ledger.openAccount(m, { id: 'civic:REDEEM', ownerId: 'system', kind: 'REDEEM', allowNegative: true });
      await h.ledger.openAccount(m, { id: 'civic:CIVIC:busy', ownerId: 'busy', kind: 'CIVIC' });
      await h.ledger.openAccount(m, { id: 'civic:CIVIC:once', ownerId: 'once', kind: 'CIVIC' });
    });
  });
  afterAll(() => h.close());

  it('200 concurrent spends against one account: exactly balance/price succeed, never negative', async () => {
    const balance = 1234;
    const price = 10;
    await h.tx((m) =>
      h.ledger.post(m, { idempotencyKey: 'seed', kind: 'APPROVAL', entries: [{ accountId: 'civic:ISSUE', amount: -balance }, { accountId: 'civic:CIVIC:busy', amount: balance }] }),
    );
    const postingsBefore = await h.count('ledger_postings');
    const { ok, errors } = await settleAll(
      Array.from({ length: 200 }, (_, i) =>
        h.tx((m) =>
          h.ledger.post(m, {
            idempotencyKey: `spend:${i}`,
            kind: 'REDEMPTION',
            entries: [{ accountId: 'civic:CIVIC:busy', amount: -price }, { accountId: 'civic:REDEEM', amount: price }],
          }),
        ),
      ),
    );
    const expected = Math.floor(balance / price);
    expect(ok).toHaveLength(expected);
    expect(errors).toHaveLength(200 - expected);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['INSUFFICIENT_POINTS']));
    // each success saw a distinct balance: the spends were serialised, none lost an update
    const seen = ok.map((r) => r.balances['civic:CIVIC:busy']).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: expected }, (_, i) => (balance % price) + i * price));
    expect(await h.tx((m) => h.ledger.balance(m, 'civic:CIVIC:busy'))).toBe(balance % price);
    expect(await h.count('ledger_postings') - postingsBefore).toBe(expected * 2);
    expect(await h.count('ledger_postings', `account_id = 'civic:CIVIC:busy' AND amount < 0`)).toBe(expected);
    expect(await h.count('ledger_postings', `balance_after < 0 AND account_id = 'civic:CIVIC:busy'`)).toBe(0);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('50 concurrent calls with the same idempotency key post exactly once', async () => {
    const request = {
      idempotencyKey: 'approve:same',
      kind: 'APPROVAL',
      entries: [{ accountId: 'civic:ISSUE', amount: -25 }, { accountId: 'civic:CIVIC:once', amount: 25 }],
    };
    const { ok, errors } = await settleAll(Array.from({ length: 50 }, () => h.tx((m) => h.ledger.post(m, request))));
    expect(errors).toEqual([]);
    expect(ok.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(ok.map((r) => r.transactionId)).size).toBe(1);
    expect(ok.every((r) => r.balances['civic:CIVIC:once'] === 25)).toBe(true);
    expect(await h.count('ledger_transactions', `idempotency_key = $1`, ['approve:same'])).toBe(1);
    expect(await h.count('ledger_postings', `account_id = 'civic:CIVIC:once'`)).toBe(1);
    expect(await h.tx((m) => h.ledger.balance(m, 'civic:CIVIC:once'))).toBe(25);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });
  it('one key used at once for requests on different accounts posts one of them and refuses the rest', async () => {
    await h.tx(async (m) => {
      for (let i = 0; i < 8; i++) {
        await h.ledger.openAccount(m, { id: `civic:CIVIC:k${i}`, ownerId: `k${i}`, kind: 'CIVIC' });
        await h.ledger.openAccount(m, { id: `civic:ISSUE:k${i}`, ownerId: 'system', kind: 'ISSUE', allowNegative: true });
      }
    });
    const { ok, errors } = await settleAll(
      Array.from({ length: 8 }, (_, i) =>
        h.tx((m) => h.ledger.post(m, { idempotencyKey: 'shared-key', kind: 'APPROVAL', entries: [{ accountId: `civic:ISSUE:k${i}`, amount: -5 }, { accountId: `civic:CIVIC:k${i}`, amount: 5 }] })),
      ),
    );
    expect(ok.filter((r) => !r.replayed)).toHaveLength(1);
    expect(errors.map((e) => e.code)).toEqual(Array(7).fill('CONFLICT'));
    expect(await h.count('ledger_transactions', `idempotency_key = $1`, ['shared-key'])).toBe(1);
    // no two requests share an account, so only the unique key keeps the others out
    expect(await h.count('ledger_postings', `account_id LIKE 'civic:%:k%'`)).toBe(2);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });
});
