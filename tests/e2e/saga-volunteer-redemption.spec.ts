import { randomUUID } from 'node:crypto';
import { registry } from '@citypoints/registry';
import { civicModule } from '@citypoints/civic';
import { volunteering } from '@citypoints/volunteering';
import { DAY } from '@citypoints/kit';
import { codes, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { sagaFixture, sagaReadings } from './saga-fixture';

/**
 * Volunteer points at the points supermarket (docs/domain/08-volunteering.md): a VOLUNTEER item
 * is paid from the volunteering time bank and its stock taken in civic, as one saga — both
 * happen or neither, once per redemption key.
 */
describe('volunteer points at the points supermarket, through the gateway', () => {
  let city: TestCity;
  const clock = new FixedClock(new Date('2026-05-04T02:00:00Z'));
  const f = sagaFixture(() => city, () => clock.now());
  beforeAll(async () => {
    // the redeem waits for volunteering's decision up to 20 s (within the gateway's 30 s), so its answer is the outcome
    city = await startCity({ modules: [registry, civicModule({ redeemWaitMs: 20_000 }), volunteering], workers: true, clock, label: 'saga_volunteer_redemption' });
  });
  afterAll(() => city.close());

  const lots = (residentId: string) =>
    city.instances.volunteering.dataSource.query(
      `SELECT original_amount::int, remaining::int FROM volunteering.ledger_lots WHERE account_id = $1 ORDER BY expires_at, created_at`,
      [`vol:POINTS:${residentId}`],
    ) as Promise<{ original_amount: number; remaining: number }[]>;
  const { debits, invariants } = sagaReadings(() => city);

  it('moves the volunteer points (oldest lot first) and the stock once, and a replay moves nothing', async () => {
    const r = await f.resident();
    await f.earn(r, 5);
    clock.advance(30 * DAY);
    await f.earn(r, 5);
    expect(await f.volunteerPoints(r)).toBe(100);
    const item = await f.shelf(30, 5);
    expect(item.pointsKind).toBe('VOLUNTEER');

    const key = randomUUID();
    const first = ok(await f.redeem(r.token, r.cardNo, item.id, { key })).redeem;
    expect(first).toMatchObject({ cardNo: r.cardNo, totalPoints: 30, pointsKind: 'VOLUNTEER' });
    // the redeem waited for volunteering's decision: the answer is the outcome
    expect(first).toMatchObject({ status: 'COMPLETED', balanceAfter: 70 });
    const done = await f.settled(r.token, first.id);
    expect(done).toMatchObject({ id: first.id, status: 'COMPLETED', failure: null, balanceAfter: 70 });

    expect(await f.volunteerPoints(r)).toBe(70);
    expect(await f.stock(item.merchantId, item.id)).toBe(4);
    expect(await f.civicBalance(r)).toBe(0);
    // the older lot paid: 50 − 30, the younger one untouched
    expect((await lots(r.id)).map((l) => l.remaining)).toEqual([20, 50]);

    // the same caller's key answers with the same redemption and moves nothing
    const again = ok(await f.redeem(r.token, r.cardNo, item.id, { key })).redeem;
    expect(again).toMatchObject({ id: first.id, status: 'COMPLETED' });
    expect(await f.volunteerPoints(r)).toBe(70);
    expect(await f.stock(item.merchantId, item.id)).toBe(4);
    expect(await debits(first.id)).toBe(1);
    expect(await invariants()).toEqual([]);
  });

  it('compensates a redemption the points do not cover: the stock comes back, nothing is debited', async () => {
    const r = await f.resident();
    await f.earn(r, 4);
    const item = await f.shelf(25, 3);
    // the redeem answers the refusal itself, naming the redemption it compensated
    const tooMuch = await f.redeem(r.token, r.cardNo, item.id, { quantity: 2 });
    expect(codes(tooMuch)).toEqual(['INSUFFICIENT_POINTS']);
    const done = await f.settled(r.token, f.outcomeId(tooMuch));
    expect(done).toMatchObject({ status: 'FAILED', failure: 'INSUFFICIENT_POINTS', balanceAfter: null });
    expect(await f.volunteerPoints(r)).toBe(40);
    expect(await f.stock(item.merchantId, item.id)).toBe(3);
    // one that fits still goes through
    const fits = ok(await f.redeem(r.token, r.cardNo, item.id)).redeem;
    expect(await f.settled(r.token, fits.id)).toMatchObject({ status: 'COMPLETED', balanceAfter: 15 });
    expect(await f.stock(item.merchantId, item.id)).toBe(2);
    expect(await invariants()).toEqual([]);
  });

  it('asks the holder\'s consent of a merchant as for civic points, and keeps the redemption from other callers', async () => {
    const r = await f.resident();
    await f.earn(r, 2);
    const item = await f.shelf(10, 5);
    expect(codes(await f.redeem(item.token, r.cardNo, item.id))).toEqual(['FORBIDDEN']);
    const code = ok(await city.query(`mutation { issueRedemptionCode { code } }`, {}, r.token)).issueRedemptionCode.code;
    const byMerchant = ok(await f.redeem(item.token, r.cardNo, item.id, { holderCode: code })).redeem;
    expect(byMerchant.balanceAfter).toBeNull();
    const done = await f.settled(item.token, byMerchant.id);
    expect(done).toMatchObject({ status: 'COMPLETED', balanceAfter: null });
    // the holder sees it with the balance left; another resident is told there is no such redemption
    expect(await f.redemption(r.token, byMerchant.id)).toMatchObject({ status: 'COMPLETED', balanceAfter: 10 });
    const other = await city.token('RESIDENT', { sub: randomUUID() });
    expect(codes(await city.query(`query($id: ID!) { redemption(id: $id) { id } }`, { id: byMerchant.id }, other))).toEqual(['NOT_FOUND']);
    expect(await f.volunteerPoints(r)).toBe(10);
  });

  it('refuses to mix civic and volunteer items in one redemption, changing nothing', async () => {
    const r = await f.resident();
    const vol = await f.shelf(10, 5);
    const civ = ok(
      await city.query(`mutation($m: ID!) { defineRewardItem(name: "毛巾", pointsCost: 5, stock: 5, merchantId: $m) { id pointsKind } }`, { m: vol.merchantId }, vol.token),
    ).defineRewardItem;
    expect(civ.pointsKind).toBe('CIVIC');
    const mixed = await city.query(`mutation($i: RedeemInput!) { redeem(input: $i) { id } }`, {
      i: { cardNo: r.cardNo, lines: [{ rewardId: vol.id, quantity: 1 }, { rewardId: civ.id, quantity: 1 }], idempotencyKey: randomUUID() },
    }, r.token);
    expect(codes(mixed)).toEqual(['BAD_USER_INPUT']);
    expect(await f.stock(vol.merchantId, vol.id)).toBe(5);
    expect(await f.stock(vol.merchantId, civ.id)).toBe(5);
  });

  it('100 concurrent redemptions against points for 10 succeed exactly 10 times', async () => {
    const r = await f.resident();
    await f.earn(r, 5);
    await f.earn(r, 5);
    expect(await f.volunteerPoints(r)).toBe(100);
    const item = await f.shelf(10, 1000);

    const answers = await Promise.all(Array.from({ length: 100 }, () => f.redeem(r.token, r.cardNo, item.id)));
    // each answer is a redemption, or INSUFFICIENT_POINTS naming the one refused
    const ids = answers.map(f.outcomeId);
    expect(new Set(ids).size).toBe(100);
    const final = [];
    for (const id of ids) final.push(await f.settled(r.token, id));
    expect(final.filter((x) => x.status === 'COMPLETED')).toHaveLength(10);
    expect(final.filter((x) => x.status === 'FAILED').every((x) => x.failure === 'INSUFFICIENT_POINTS')).toBe(true);
    expect(final.filter((x) => x.status === 'FAILED')).toHaveLength(90);
    expect(final.filter((x) => x.status === 'COMPLETED').map((x) => x.balanceAfter).sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);

    expect(await f.volunteerPoints(r)).toBe(0);
    expect(await f.stock(item.merchantId, item.id)).toBe(990);
    const debited = await city.instances.volunteering.dataSource.query(
      `SELECT outcome, count(*)::int AS n FROM volunteering.supermarket_debits WHERE resident_id = $1 GROUP BY outcome ORDER BY outcome`,
      [r.id],
    );
    expect(debited).toEqual([{ outcome: 'DEBITED', n: 10 }, { outcome: 'REFUSED', n: 90 }]);
    expect(await invariants()).toEqual([]);
  });

  it('100 concurrent redemptions against stock for 10 take the stock exactly 10 times', async () => {
    const r = await f.resident();
    await f.earn(r, 8);
    await f.earn(r, 8);
    const item = await f.shelf(1, 10);
    const answers = await Promise.all(Array.from({ length: 100 }, () => f.redeem(r.token, r.cardNo, item.id)));
    const taken = answers.filter((a) => !a.errors);
    expect(taken).toHaveLength(10);
    expect(answers.filter((a) => a.errors).every((a) => codes(a).join() === 'OUT_OF_STOCK')).toBe(true);
    for (const a of taken) expect(await f.settled(r.token, ok(a).redeem.id)).toMatchObject({ status: 'COMPLETED' });
    expect(await f.stock(item.merchantId, item.id)).toBe(0);
    expect(await f.volunteerPoints(r)).toBe(160 - 10);
    expect(await invariants()).toEqual([]);
  });
});
