import { openHarness, settleAll, type Harness } from './harness';

const ISSUE = 'civic:ISSUE';
const SHOP = 'civic:SHOP';
const earn = (key: string, account: string, amount: number) => ({ idempotencyKey: key, kind: 'APPROVAL', entries: [{ accountId: ISSUE, amount: -amount }, { accountId: account, amount }] });
const spend = (key: string, account: string, amount: number) => ({ idempotencyKey: key, kind: 'REDEMPTION', entries: [{ accountId: account, amount: -amount }, { accountId: SHOP, amount }] });

describe('posting many at once (postMany) and group commit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('ledger_group_commit');
    await h.tx(async (m) => {
      await h.ledger.openAccount(m, { id: ISSUE, ownerId: 'system', kind: 'ISSUE', allowNegative: true });
      await h.ledger.openAccount(m, { id: SHOP, ownerId: 'shop', kind: 'MERCHANT' });
      for (const id of ['a', 'b', 'busy', 'once', 'raced', 'race-other']) await h.ledger.openAccount(m, { id: `civic:CIVIC:${id}`, ownerId: id, kind: 'CIVIC' });
      await h.ledger.openAccount(m, { id: 'vol:V', ownerId: 'v', kind: 'POINTS', policy: { expiryMonths: 36 } });
      await h.ledger.openAccount(m, { id: 'vol:ISSUE', ownerId: 'system', kind: 'ISSUE', allowNegative: true });
      for (const id of ['civic:ISSUE:race', 'civic:ISSUE:race-other']) await h.ledger.openAccount(m, { id, ownerId: 'system', kind: 'ISSUE', allowNegative: true });
    });
  });
  afterAll(() => h.close());

  it('posts a batch in order, as one post after the other: each refusal stands alone and writes nothing', async () => {
    const A = 'civic:CIVIC:a';
    const outcomes = await h.tx((m) =>
      h.ledger.postMany(m, [
        earn('pm:1', A, 30),
        spend('pm:2', A, 20),
        spend('pm:3', A, 20), // only 10 left: refused alone
        spend('pm:4', A, 10),
        earn('pm:1', A, 30), // the same request again: replays the first
        spend('pm:1', A, 5), // the same key for another request
        spend('ledger:mine', A, 1), // a reserved key
        spend('pm:5', 'civic:CIVIC:nobody', 1),
        { idempotencyKey: 'pm:6', kind: 'BROKEN', entries: [{ accountId: A, amount: 3 }, { accountId: ISSUE, amount: -2 }] },
      ]),
    );
    const codes = outcomes.map((o) => (o.ok ? (o.result.replayed ? 'REPLAY' : 'OK') : (o.error as { code: string }).code));
    expect(codes).toEqual(['OK', 'OK', 'INSUFFICIENT_POINTS', 'OK', 'REPLAY', 'CONFLICT', 'BAD_USER_INPUT', 'NOT_FOUND', 'BAD_USER_INPUT']);
    const balances = outcomes.map((o) => (o.ok ? o.result.balances[A] : null));
    expect(balances).toEqual([30, 10, null, 0, 30, null, null, null, null]);
    expect(outcomes[0].ok && outcomes[4].ok && outcomes[0].result.transactionId === outcomes[4].result.transactionId).toBe(true);
    const refused = outcomes[2];
    expect(!refused.ok && (refused.error as { details: unknown }).details).toEqual({ shortfalls: [{ accountId: A, balance: 10, required: 20 }] });
    expect(await h.tx((m) => h.ledger.balance(m, A))).toBe(0);
    expect(await h.count('ledger_transactions', `idempotency_key LIKE 'pm:%'`)).toBe(3);
    // postings in batch order: the account's history reads 30, 10, 0
    const history = await h.tx((m) => h.ledger.history(m, A));
    expect(history.map((e) => e.balanceAfter)).toEqual([0, 10, 30]);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('replays a key posted before the batch, and takes expiring accounts through their lots', async () => {
    const B = 'civic:CIVIC:b';
    const first = await h.tx((m) => h.ledger.post(m, earn('pm:b1', B, 40)));
    const outcomes = await h.tx((m) =>
      h.ledger.postMany(m, [
        spend('pm:b2', B, 15),
        earn('pm:b1', B, 40),
        { idempotencyKey: 'pm:v1', kind: 'APPROVAL', entries: [{ accountId: 'vol:ISSUE', amount: -12 }, { accountId: 'vol:V', amount: 12 }] },
        { idempotencyKey: 'pm:v2', kind: 'REDEMPTION', entries: [{ accountId: 'vol:V', amount: -5 }, { accountId: SHOP, amount: 5 }] },
        spend('pm:b3', B, 25),
        spend('pm:b4', B, 1),
      ]),
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true, true, false]);
    const replay = outcomes[1];
    expect(replay.ok && replay.result).toEqual({ transactionId: first.transactionId, replayed: true, balances: { [ISSUE]: expect.any(Number), [B]: 40 } });
    expect(outcomes[3].ok && outcomes[3].result.balances['vol:V']).toBe(7);
    expect(await h.tx((m) => h.ledger.balance(m, B))).toBe(0);
    expect(await h.count('ledger_lots', `account_id = 'vol:V' AND remaining = 7`)).toBe(1);
    expect(await h.count('ledger_postings', `account_id = 'vol:V' AND lot_id IS NOT NULL`)).toBe(2);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('group commit: 200 concurrent spends against one account share three transactions, exactly balance/price succeed', async () => {
    const busy = 'civic:CIVIC:busy';
    const balance = 1234;
    const price = 10;
    await h.tx((m) => h.ledger.post(m, earn('gc:seed', busy, balance)));
    const gc = h.ledger.groupCommit(h.ds);
    const { ok, errors } = await settleAll(Array.from({ length: 200 }, (_, i) => gc.post(spend(`gc:spend:${i}`, busy, price))));
    const expected = Math.floor(balance / price);
    expect(ok).toHaveLength(expected);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['INSUFFICIENT_POINTS']));
    expect(errors).toHaveLength(200 - expected);
    const seen = ok.map((r) => r.balances[busy]).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: expected }, (_, i) => (balance % price) + i * price));
    // two posts start at once (in flight), the other 198 queue behind them and go as one
    expect(gc.stats).toEqual({ transactions: 3, posts: 200, fallbacks: 0 });
    expect(await h.tx((m) => h.ledger.balance(m, busy))).toBe(balance % price);
    expect(await h.count('ledger_postings', `account_id = $1 AND amount < 0`, [busy])).toBe(expected);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('group commit: 50 concurrent posts with one key post once; the others replay it', async () => {
    const gc = h.ledger.groupCommit(h.ds);
    const { ok, errors } = await settleAll(Array.from({ length: 50 }, () => gc.post(earn('gc:same', 'civic:CIVIC:once', 25))));
    expect(errors).toEqual([]);
    expect(ok.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(ok.map((r) => r.transactionId)).size).toBe(1);
    expect(ok.every((r) => r.balances['civic:CIVIC:once'] === 25)).toBe(true);
    expect(await h.count('ledger_transactions', `idempotency_key = 'gc:same'`)).toBe(1);
    expect(await h.tx((m) => h.ledger.balance(m, 'civic:CIVIC:once'))).toBe(25);
  });

  it('a key claimed meanwhile by a request on other accounts: the batch rolls back and each post goes alone', async () => {
    const gc = h.ledger.groupCommit(h.ds, { inFlight: 1 });
    const grant = (key: string, account: string, issue: string, amount: number) => ({ idempotencyKey: key, kind: 'APPROVAL', entries: [{ accountId: issue, amount: -amount }, { accountId: account, amount }] });
    // an open transaction holds the key (on other accounts) while the batch looks it up and writes
    const qr = h.ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    try {
      await h.ledger.post(qr.manager, grant('gc:raced', 'civic:CIVIC:race-other', 'civic:ISSUE:race-other', 7));
      const R = 'civic:CIVIC:raced';
      const I = 'civic:ISSUE:race';
      const batch = settleAll([gc.post(grant('gc:r1', R, I, 3)), gc.post(grant('gc:raced', R, I, 4)), gc.post(grant('gc:r2', R, I, 5))]);
      // the first post goes alone; the other two queue and go together, and their write waits on the key held above
      for (let i = 0; i < 500; i++) {
        const waiting: { n: string }[] = await h.ds.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if (Number(waiting[0].n) > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await qr.commitTransaction();
      const { ok, errors } = await batch;
      expect(ok.map((r) => r.balances['civic:CIVIC:raced']).sort()).toEqual([3, 8]);
      expect(errors.map((e) => e.code)).toEqual(['CONFLICT']);
      expect(gc.stats.fallbacks).toBe(1);
    } finally {
      if (qr.isTransactionActive) await qr.rollbackTransaction();
      await qr.release();
    }
    expect(await h.count('ledger_transactions', `idempotency_key = 'gc:raced'`)).toBe(1);
    expect(await h.tx((m) => h.ledger.balance(m, 'civic:CIVIC:raced'))).toBe(8);
    expect(await h.tx((m) => h.ledger.checkInvariants(m))).toEqual([]);
  });

  it('synchronous_commit off is a choice of the caller, per transaction; the default stays on', async () => {
    const seen: string[] = [];
    const spy = { transaction: <T>(run: (m: import('typeorm').EntityManager) => Promise<T>) => h.ds.transaction(async (m) => {
      const r = await run(m);
      seen.push((await m.query(`SHOW synchronous_commit`))[0].synchronous_commit);
      return r;
    }) };
    await h.ledger.groupCommit(spy).post(earn('gc:sync-on', 'civic:CIVIC:a', 1));
    await h.ledger.groupCommit(spy, { synchronousCommit: 'off' }).post(earn('gc:sync-off', 'civic:CIVIC:a', 1));
    expect(seen).toEqual(['on', 'off']);
    expect((await h.ds.query(`SHOW synchronous_commit`))[0].synchronous_commit).toBe('on');
  });
});
