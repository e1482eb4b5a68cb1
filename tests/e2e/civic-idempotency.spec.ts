import { randomUUID } from 'node:crypto';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { codes, eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';

const VILLAGE = '441900123001';
const TOWN = '441900123';

/** docs/domain/09-access.md: idempotency keys are scoped to the caller; a replay is authorised like a first request. */
describe('caller-scoped idempotency of redemptions and records', () => {
  let city: TestCity;
  const clock = new FixedClock(new Date('2026-10-12T03:00:00Z'));
  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic], workers: true, clock, label: 'civic_idempotency' });
    ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 0) }`, {}, await city.token('TOWN_OFFICIAL', { division: TOWN })));
  });
  afterAll(() => city.close());

  const clerk = (role: 'VILLAGE_REGISTRAR' | 'VILLAGE_REVIEWER' | 'PUBLICITY_CLERK' | 'TOWN_REVIEWER', division = VILLAGE) => city.token(role, { sub: `${role}-${randomUUID()}`, division });
  const register = (token: string, residentId: string, idempotencyKey: string) =>
    city.query(`mutation($i: RegisterCivicRecordInput!) { registerCivicRecord(input: $i) { id registeredBy resident { id } } }`, { i: { residentId, itemCode: 'BRAVE_RESCUE', occurredOn: '2026-10-10', idempotencyKey } }, token);

  async function villager() {
    const r = await seed(city).resident({ divisionCode: VILLAGE });
    await eventually(async () => (await city.instances.civic.dataSource.query('SELECT 1 FROM civic.residents WHERE id = $1', [r.id])).length > 0);
    return r;
  }

  async function holderOf100() {
    const r = await villager();
    const rec = ok(await register(await clerk('VILLAGE_REGISTRAR'), r.id, randomUUID())).registerCivicRecord;
    ok(await city.query(`mutation($id: ID!) { reviewCivicRecord(id: $id, approve: true) { id } }`, { id: rec.id }, await clerk('VILLAGE_REVIEWER')));
    ok(await city.query(`mutation($id: ID!) { publiciseCivicRecord(id: $id) { id } }`, { id: rec.id }, await clerk('PUBLICITY_CLERK')));
    ok(await city.query(`mutation($id: ID!) { approveCivicRecord(id: $id, approve: true) { id } }`, { id: rec.id }, await clerk('TOWN_REVIEWER', TOWN)));
    const token = await city.token('RESIDENT', { sub: r.id });
    return { token, cardNo: ok(await city.query(`{ myCivicCard { cardNo } }`, {}, token)).myCivicCard.cardNo as string };
  }

  const redeem = (token: string, cardNo: string, rewardId: string, idempotencyKey: string, holderCode?: string) =>
    city.query(`mutation($i: RedeemInput!) { redeem(input: $i) { id totalPoints balanceAfter } }`, { i: { cardNo, lines: [{ rewardId, quantity: 1 }], idempotencyKey, holderCode } }, token);
  const balance = async (token: string) => ok(await city.query(`{ myCivicCard { balance } }`, {}, token)).myCivicCard.balance as number;

  it("never returns one caller's redemption to another caller using the same key", async () => {
    const holder = await holderOf100();
    const merchantId = `supermarket-${randomUUID()}`;
    const merchant = await city.token('MERCHANT', { sub: merchantId });
    const rewardId = ok(await city.query(`mutation { defineRewardItem(name: "大米 10kg", pointsCost: 10, stock: 50, merchantId: "${merchantId}") { id } }`, {}, merchant)).defineRewardItem.id;
    const key = randomUUID();

    const own = ok(await redeem(holder.token, holder.cardNo, rewardId, key)).redeem;
    expect(own.balanceAfter).toBe(90);
    // a stranger replaying the holder's exact request is refused, not answered with the holder's result
    const stranger = await city.token('RESIDENT', { sub: (await villager()).id });
    const stolen = await redeem(stranger, holder.cardNo, rewardId, key);
    expect(codes(stolen)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(stolen)).not.toContain(own.id);
    // the merchant's same key is the merchant's own redemption
    const code = ok(await city.query(`mutation { issueRedemptionCode { code } }`, {}, holder.token)).issueRedemptionCode.code;
    const byMerchant = ok(await redeem(merchant, holder.cardNo, rewardId, key, code)).redeem;
    expect(byMerchant.id).not.toBe(own.id);
    expect(byMerchant.balanceAfter).toBeNull();
    expect(await balance(holder.token)).toBe(80);

    // the merchant's retry shows the code that paid for it and gets the same answer, moving nothing
    expect(ok(await redeem(merchant, holder.cardNo, rewardId, key, code)).redeem).toEqual(byMerchant);
    // without the holder's code the replay is refused, like a first request
    expect(codes(await redeem(merchant, holder.cardNo, rewardId, key))).toEqual(['FORBIDDEN']);
    expect(codes(await redeem(merchant, holder.cardNo, rewardId, key, 'ABCDEFGH'))).toEqual(['FORBIDDEN']);
    expect(ok(await redeem(holder.token, holder.cardNo, rewardId, key)).redeem).toEqual(own);
    expect(await balance(holder.token)).toBe(80);
  });

  it("never returns one registrar's record to another registrar using the same key", async () => {
    const r = await villager();
    const key = randomUUID();
    const first = ok(await register(await clerk('VILLAGE_REGISTRAR'), r.id, key)).registerCivicRecord;
    const outsider = await clerk('VILLAGE_REGISTRAR', '441900123002');
    const replay = await register(outsider, r.id, key);
    expect(codes(replay)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(replay)).not.toContain(first.id);
    const colleague = ok(await register(await clerk('VILLAGE_REGISTRAR'), r.id, key)).registerCivicRecord;
    expect(colleague.id).not.toBe(first.id);
  });
});
