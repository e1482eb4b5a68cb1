import { randomUUID } from 'node:crypto';
import { codes, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { Ledger } from '@citypoints/ledger';
import { clerks, projectedResident, throughReview } from './helpers';

const VILLAGE = '441900121002';
const TOWN = '441900121';

describe('points supermarket through the gateway', () => {
  let city: TestCity;
  let admin: string;
  // registered up front: after the long concurrent burst the tests below then only talk to civic
  const residents: { id: string }[] = [];
  const clock = new FixedClock(new Date('2026-05-10T02:00:00Z'));
  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic], workers: true, clock });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
    ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 0) }`, {}, await city.token('TOWN_OFFICIAL', { division: TOWN })));
    for (let i = 0; i < 4; i++) residents.push(await projectedResident(city, VILLAGE));
  });
  afterAll(() => city.close());

  /** A resident whose card holds 100 points (one heroic act). */
  async function holderOf100() {
    const r = residents.shift()!;
    const done = await throughReview(city, await clerks(city, VILLAGE), r.id, 'BRAVE_RESCUE', '2026-05-01');
    expect(done.creditedPoints).toBe(100);
    const token = await city.token('RESIDENT', { sub: r.id });
    const cardNo = ok(await city.query(`{ myCivicCard { cardNo balance } }`, {}, token)).myCivicCard.cardNo as string;
    return { r, token, cardNo };
  }

  async function reward(merchantId: string, pointsCost: number, stock: number) {
    const merchant = await city.token('MERCHANT', { sub: merchantId });
    return ok(await city.query(`mutation { defineRewardItem(name: "大米 10kg", pointsCost: ${pointsCost}, stock: ${stock}, merchantId: "${merchantId}") { id stock merchantId } }`, {}, merchant)).defineRewardItem as { id: string };
  }

  const redeemQ = `mutation($i: RedeemInput!) { redeem(input: $i) { id cardNo totalPoints balanceAfter createdAt } }`;
  const state = async (residentId: string, rewardId: string) => {
    const ds = city.instances.civic.dataSource;
    const [a] = await ds.query(`SELECT balance FROM civic.ledger_accounts WHERE id = $1`, [`civic:CIVIC:${residentId}`]);
    const [s] = await ds.query(`SELECT stock FROM civic.reward_items WHERE id = $1`, [rewardId]);
    const [n] = await ds.query(`SELECT count(*)::int AS n FROM civic.redemptions r JOIN civic.redemption_lines l ON l.redemption_id = r.id WHERE l.reward_id = $1`, [rewardId]);
    return { balance: Number(a.balance), stock: s.stock, redemptions: n.n };
  };

  it('never takes stock below zero, and a stock shortfall moves no points', async () => {
    const { r, token, cardNo } = await holderOf100();
    const item = await reward(`merchant-${randomUUID()}`, 5, 3);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => city.query(redeemQ, { i: { cardNo, lines: [{ rewardId: item.id, quantity: 1 }], idempotencyKey: randomUUID() } }, token)),
    );
    expect(results.filter((x) => !x.errors)).toHaveLength(3);
    expect(results.filter((x) => x.errors).flatMap(codes).every((c) => c === 'OUT_OF_STOCK')).toBe(true);
    expect(await state(r.id, item.id)).toEqual({ balance: 85, stock: 0, redemptions: 3 });
  });

  it('returns the first result for a retried key and moves nothing; a different request under that key is a CONFLICT', async () => {
    const { r, token, cardNo } = await holderOf100();
    const item = await reward(`merchant-${randomUUID()}`, 7, 10);
    const key = randomUUID();
    const first = ok(await city.query(redeemQ, { i: { cardNo, lines: [{ rewardId: item.id, quantity: 2 }], idempotencyKey: key } }, token)).redeem;
    expect(first).toMatchObject({ cardNo, totalPoints: 14, balanceAfter: 86 });
    const retries = await Promise.all(Array.from({ length: 5 }, () => city.query(redeemQ, { i: { cardNo, lines: [{ rewardId: item.id, quantity: 2 }], idempotencyKey: key } }, token)));
    for (const again of retries) expect(ok(again).redeem).toEqual(first);
    expect(await state(r.id, item.id)).toEqual({ balance: 86, stock: 8, redemptions: 1 });
    expect(codes(await city.query(redeemQ, { i: { cardNo, lines: [{ rewardId: item.id, quantity: 3 }], idempotencyKey: key } }, token))).toEqual(['CONFLICT']);
  });

  it("lets a merchant redeem its own items on a resident's card with the holder's code, and no one else's", async () => {
    const { r, token, cardNo } = await holderOf100();
    const merchantId = `merchant-${randomUUID()}`;
    const mine = await reward(merchantId, 20, 5);
    const theirs = await reward(`merchant-${randomUUID()}`, 20, 5);
    const merchant = await city.token('MERCHANT', { sub: merchantId });
    const code = async () => ok(await city.query(`mutation { issueRedemptionCode { code cardNo } }`, {}, token)).issueRedemptionCode.code as string;
    const redeemed = ok(await city.query(redeemQ, { i: { cardNo, lines: [{ rewardId: mine.id, quantity: 1 }], idempotencyKey: randomUUID(), holderCode: await code() } }, merchant)).redeem;
    expect(redeemed).toMatchObject({ cardNo, totalPoints: 20, balanceAfter: null });
    expect(codes(await city.query(redeemQ, { i: { cardNo, lines: [{ rewardId: theirs.id, quantity: 1 }], idempotencyKey: randomUUID(), holderCode: await code() } }, merchant))).toEqual(['FORBIDDEN']);
    const stranger = await city.token('RESIDENT', { sub: randomUUID() });
    expect(codes(await city.query(redeemQ, { i: { cardNo, lines: [{ rewardId: mine.id, quantity: 1 }], idempotencyKey: randomUUID() } }, stranger))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(redeemQ, { i: { cardNo, lines: [{ rewardId: mine.id, quantity: 0 }], idempotencyKey: randomUUID() } }, merchant))).toEqual(['BAD_USER_INPUT']);
    // no hint whether a card exists: an unknown number is refused like a known one without a code
    expect(codes(await city.query(redeemQ, { i: { cardNo: 'no-such-card', lines: [{ rewardId: mine.id, quantity: 1 }], idempotencyKey: randomUUID(), holderCode: 'ABCDEFGH' } }, merchant))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(`mutation { defineRewardItem(name: "毛巾", pointsCost: 5, stock: 1, merchantId: "someone-else") { id } }`, {}, merchant))).toEqual(['FORBIDDEN']);
    expect(await state(r.id, mine.id)).toEqual({ balance: 80, stock: 4, redemptions: 1 });
    const listed = ok(await city.query(`query($m: ID) { rewardItems(merchantId: $m) { id stock merchantId } }`, { m: merchantId }, admin)).rewardItems;
    expect(listed).toEqual([{ id: mine.id, stock: 4, merchantId }]);
  });

  it('loads the demo city once per seed', async () => {
    const ds = city.instances.civic.dataSource;
    await city.instances.civic.seedDemo!({ seed: 20240901 });
    const count = async () => (await ds.query(`SELECT (SELECT count(*) FROM civic.cards)::int AS cards, (SELECT count(*) FROM civic.records)::int AS records, (SELECT count(*) FROM civic.ledger_transactions)::int AS txs`))[0];
    const first = await count();
    expect(first.cards).toBeGreaterThanOrEqual(300);
    await city.instances.civic.seedDemo!({ seed: 20240901 });
    expect(await count()).toEqual(first);
    expect(ok(await city.query(`{ rewardItems(merchantId: "demo-points-bank-humen") { name stock } }`, {}, admin)).rewardItems).toHaveLength(2);
  });

  // last through the gateway: the burst leaves many idle gateway-to-subgraph sockets behind
  it('lets 100 concurrent redemptions against a card that can afford 10 succeed exactly 10 times', async () => {
    const { r, token, cardNo } = await holderOf100();
    const item = await reward(`merchant-${randomUUID()}`, 10, 500);
    const results = await Promise.all(
      Array.from({ length: 100 }, () => city.query(redeemQ, { i: { cardNo, lines: [{ rewardId: item.id, quantity: 1 }], idempotencyKey: randomUUID() } }, token)),
    );
    const succeeded = results.filter((x) => !x.errors);
    expect(succeeded).toHaveLength(10);
    expect(results.filter((x) => x.errors).flatMap(codes).every((c) => c === 'INSUFFICIENT_POINTS')).toBe(true);
    expect(succeeded.map((x) => x.data!.redeem.balanceAfter).sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(await state(r.id, item.id)).toEqual({ balance: 0, stock: 490, redemptions: 10 });
  });

  it('leaves the ledger sound after all of it', async () => {
    expect(await new Ledger({ schema: 'civic' }).checkInvariants(city.instances.civic.dataSource.manager)).toEqual([]);
  });
});
