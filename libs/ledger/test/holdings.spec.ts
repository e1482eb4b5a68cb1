import { FixedClock } from '@citypoints/kit';
import { OTHER_PARTY } from '@citypoints/ledger';
import { openHarness, type Harness } from './harness';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const NEED = '33333333-3333-4333-8333-333333333333';
const acc = (owner: string) => `vol:POINTS:${owner}`;

/** What a resident's own data shows of their points (docs/my-data.md): all of theirs, nobody else's. */
describe('ledger: an owner\'s holdings', () => {
  const clock = new FixedClock(new Date('2026-03-10T00:00:00Z'));
  let h: Harness;

  beforeAll(async () => {
    h = await openHarness('ledger_holdings', clock);
    await h.tx(async (m) => {
      await h.ledger.openAccount(m, { id: 'vol:ISSUE', ownerId: 'city', kind: 'ISSUE', allowNegative: true });
      await h.ledger.openAccount(m, { id: `vol:ESCROW:${NEED}`, ownerId: NEED, kind: 'NEED_ESCROW' });
      for (const o of [ALICE, BOB]) await h.ledger.openAccount(m, { id: acc(o), ownerId: o, kind: 'POINTS', policy: { expiryMonths: 36 } });
      await h.ledger.post(m, { idempotencyKey: 'award', kind: 'AWARD', metadata: { needId: NEED }, entries: [{ accountId: 'vol:ISSUE', amount: -50 }, { accountId: acc(ALICE), amount: 50 }] });
      await h.ledger.post(m, { idempotencyKey: 'gift', kind: 'GIFT', keepExpiry: true, memo: `to ${BOB}`, metadata: { from: ALICE, to: BOB }, entries: [{ accountId: acc(ALICE), amount: -20 }, { accountId: acc(BOB), amount: 20 }] });
      await h.ledger.post(m, { idempotencyKey: 'bob-award', kind: 'AWARD', metadata: { secret: 'bob-only' }, entries: [{ accountId: 'vol:ISSUE', amount: -7 }, { accountId: acc(BOB), amount: 7 }] });
    });
  });
  afterAll(() => h.close());

  it('lists the owner\'s accounts, postings and lots, masks the other person of a shared posting, and leaves account ids out', async () => {
    const held = await h.ledger.holdings(h.ds.manager, ALICE, ['POINTS']);
    expect(held.accounts).toHaveLength(1);
    const [a] = held.accounts;
    expect(a).toMatchObject({ kind: 'POINTS', balance: 30, lifetimeEarned: 50, lifetimeSpent: 20 });
    expect(a.postings.map((p) => [p.transactionKind, p.amount, p.balanceAfter, p.counterparties])).toEqual([
      ['AWARD', 50, 50, ['ISSUE']],
      ['GIFT', -20, 30, ['POINTS']],
    ]);
    // a need's id is not a person's: it stays
    expect(a.postings[0].metadata).toEqual({ needId: NEED });
    expect(a.postings[1].metadata).toEqual({ from: ALICE, to: OTHER_PARTY });
    expect(a.lots).toEqual([{ originalAmount: 50, remaining: 30, expiresAt: '2029-03-10T00:00:00.000Z', createdAt: '2026-03-10T00:00:00.000Z' }]);
    const json = JSON.stringify(held);
    expect(json).not.toContain(BOB);
    expect(json).not.toContain('bob-only');
    expect(json).not.toContain('vol:POINTS');
  });

  it('without the person kinds the other party is not recognised, which is why each subgraph names them', async () => {
    const held = await h.ledger.holdings(h.ds.manager, ALICE, []);
    expect(held.accounts[0].postings[1].metadata).toEqual({ from: ALICE, to: BOB });
  });

  it('holds nothing for an owner without accounts', async () => {
    expect(await h.ledger.holdings(h.ds.manager, '44444444-4444-4444-8444-444444444444', ['POINTS'])).toEqual({ accounts: [] });
  });
});
