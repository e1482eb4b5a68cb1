import { randomUUID } from 'node:crypto';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { codes, eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';

const VILLAGE = '441900004002';
const TOWN = '441900004';

/** docs/domain/04-civic-cards.md: the holder consents to every redemption; a merchant redeems only with the holder's one-time code. */
describe('holder consent at the points supermarket', () => {
  let city: TestCity;
  const clock = new FixedClock(new Date('2026-09-14T03:00:00Z'));
  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic], workers: true, clock, label: 'civic_holder_consent' });
    ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 0) }`, {}, await city.token('TOWN_OFFICIAL', { division: TOWN })));
  });
  afterAll(() => city.close());

  /** A villager whose card has earned 100 points through the four-step review. */
  async function holder() {
    const r = await seed(city).resident({ divisionCode: VILLAGE });
    await eventually(async () => (await city.instances.civic.dataSource.query('SELECT 1 FROM civic.residents WHERE id = $1', [r.id])).length > 0);
    const step = async (role: 'VILLAGE_REGISTRAR' | 'VILLAGE_REVIEWER' | 'PUBLICITY_CLERK' | 'TOWN_REVIEWER', division: string) => city.token(role, { sub: `${role}-${randomUUID()}`, division });
    const rec = ok(await city.query(`mutation($i: RegisterCivicRecordInput!) { registerCivicRecord(input: $i) { id } }`,
      { i: { residentId: r.id, itemCode: 'BRAVE_RESCUE', occurredOn: '2026-09-10', idempotencyKey: randomUUID() } }, await step('VILLAGE_REGISTRAR', VILLAGE))).registerCivicRecord;
    ok(await city.query(`mutation($id: ID!) { reviewCivicRecord(id: $id, approve: true) { id } }`, { id: rec.id }, await step('VILLAGE_REVIEWER', VILLAGE)));
    ok(await city.query(`mutation($id: ID!) { publiciseCivicRecord(id: $id) { id } }`, { id: rec.id }, await step('PUBLICITY_CLERK', VILLAGE)));
    ok(await city.query(`mutation($id: ID!) { approveCivicRecord(id: $id, approve: true) { id } }`, { id: rec.id }, await step('TOWN_REVIEWER', TOWN)));
    const token = await city.token('RESIDENT', { sub: r.id });
    const card = ok(await city.query(`{ myCivicCard { cardNo balance } }`, {}, token)).myCivicCard;
    expect(card.balance).toBe(100);
    return { token, cardNo: card.cardNo as string };
  }

  const redeem = (token: string, cardNo: string, rewardId: string, holderCode?: string, idempotencyKey = randomUUID()) =>
    city.query(`mutation($i: RedeemInput!) { redeem(input: $i) { cardNo totalPoints balanceAfter } }`, { i: { cardNo, lines: [{ rewardId, quantity: 1 }], idempotencyKey, holderCode } }, token);
  const balance = async (token: string) => ok(await city.query(`{ myCivicCard { balance } }`, {}, token)).myCivicCard.balance as number;

  it('refuses a merchant without the code, redeems once with it, and refuses the spent or expired code', async () => {
    const { token, cardNo } = await holder();
    const merchantId = `supermarket-${randomUUID()}`;
    const merchant = await city.token('MERCHANT', { sub: merchantId });
    const rewardId = ok(await city.query(`mutation { defineRewardItem(name: "食用油 5L", pointsCost: 25, stock: 10, merchantId: "${merchantId}") { id } }`, {}, merchant)).defineRewardItem.id;

    expect(codes(await redeem(merchant, cardNo, rewardId))).toEqual(['FORBIDDEN']);
    expect(codes(await redeem(merchant, cardNo, rewardId, 'WRONGCDE'))).toEqual(['FORBIDDEN']);
    expect(await balance(token)).toBe(100);

    const code = ok(await city.query(`mutation { issueRedemptionCode { code cardNo expiresAt } }`, {}, token)).issueRedemptionCode;
    expect(code.cardNo).toBe(cardNo);
    // the merchant learns the redemption, not the holder's balance
    expect(ok(await redeem(merchant, cardNo, rewardId, code.code)).redeem).toEqual({ cardNo, totalPoints: 25, balanceAfter: null });
    expect(await balance(token)).toBe(75);
    expect(codes(await redeem(merchant, cardNo, rewardId, code.code))).toEqual(['FORBIDDEN']);
    expect(await balance(token)).toBe(75);

    const late = ok(await city.query(`mutation { issueRedemptionCode { code } }`, {}, token)).issueRedemptionCode.code;
    clock.advance(10 * 60_000);
    expect(codes(await redeem(merchant, cardNo, rewardId, late))).toEqual(['FORBIDDEN']);
    expect(await balance(token)).toBe(75);

    // the holder needs no code on their own card, and sees the balance left
    expect(ok(await redeem(token, cardNo, rewardId)).redeem.balanceAfter).toBe(50);
  });

  it('answers an unknown card exactly like a known card without a code', async () => {
    const { cardNo } = await holder();
    const merchantId = `supermarket-${randomUUID()}`;
    const merchant = await city.token('MERCHANT', { sub: merchantId });
    const rewardId = ok(await city.query(`mutation { defineRewardItem(name: "毛巾", pointsCost: 5, stock: 10, merchantId: "${merchantId}") { id } }`, {}, merchant)).defineRewardItem.id;
    const known = await redeem(merchant, cardNo, rewardId, 'ABCDEFGH');
    const unknown = await redeem(merchant, '4419' + '0'.repeat(12), rewardId, 'ABCDEFGH');
    expect(codes(known)).toEqual(['FORBIDDEN']);
    expect(unknown.errors?.map((e) => [e.message, e.extensions?.code])).toEqual(known.errors?.map((e) => [e.message, e.extensions?.code]));
  });
});
