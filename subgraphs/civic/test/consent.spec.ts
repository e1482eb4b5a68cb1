import { randomUUID } from 'node:crypto';
import { createTestDatabase, openSubgraphDataSource, type TestDatabase } from '@citypoints/db';
import type { DataSource } from 'typeorm';
import { codes, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { DAY } from '@citypoints/kit';
import { Ledger } from '@citypoints/ledger';
import { isCardNumber, luhnCheckDigit, newCardNumber } from '../src/cards/card-number';
import { cardByNo } from '../src/cards/card.service';
import { MIGRATIONS } from '../src/index';
import { Init1764400000000 } from '../src/migrations/1764400000000-Init';
import { clerks, projectedResident, throughReview } from './helpers';

const VILLAGE = '441900110001';
const TOWN = '441900110';

describe('card numbers', () => {
  it('carry a Luhn check digit', () => {
    expect(luhnCheckDigit('7992739871')).toBe('3');
    const n = newCardNumber();
    expect(n).toMatch(/^4419[0-9]{12}$/);
    expect(isCardNumber(n)).toBe(true);
    const wrong = n.slice(0, -1) + String((Number(n.slice(-1)) + 1) % 10);
    expect(isCardNumber(wrong)).toBe(false);
  });

  it('do not follow one another', () => {
    const drawn = Array.from({ length: 1000 }, () => BigInt(newCardNumber().slice(4, 15)));
    expect(new Set(drawn).size).toBe(1000);
    const sorted = [...drawn].sort((a, b) => (a < b ? -1 : 1));
    const neighbours = sorted.slice(1).filter((d, i) => d - sorted[i] === 1n);
    expect(neighbours.length).toBeLessThan(5);
  });
});

describe('the migrations after the first, on a database with data', () => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase('civic_renumber');
    ds = await openSubgraphDataSource({ url: db.url, schema: 'civic', entities: [], migrations: [Init1764400000000] });
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('gives every old card a random number, moves what names it, and keeps the old number resolvable for a year', async () => {
    const residents = Array.from({ length: 12 }, () => randomUUID());
    await ds.query(`INSERT INTO civic.residents (id, division_code, name_masked) SELECT id, $2, '张*' FROM unnest($1::uuid[]) AS id`, [residents, VILLAGE]);
    await ds.query(
      `INSERT INTO civic.cards (card_no, resident_id, issued_at) SELECT '4419' || lpad(nextval('civic.card_numbers')::text, 8, '0'), id, now() FROM unnest($1::uuid[]) AS id`,
      [residents],
    );
    const before: { card_no: string; resident_id: string }[] = await ds.query(`SELECT card_no, resident_id FROM civic.cards ORDER BY card_no`);
    expect(before[0].card_no).toBe('441900000001');
    await ds.query(
      `INSERT INTO civic.records (idempotency_key, resident_id, card_no, division_code, town_code, item_scope, item_code, item_version, passbook, points_requested,
         status, occurred_on, registered_by, created_at)
       VALUES ('k1', $1, $2, $3, $4, $4, 'HELP_NEIGHBOUR', 1, 'CIVIC', 3, 'REGISTERED', '2026-01-02', 'registrar', now())`,
      [before[0].resident_id, before[0].card_no, VILLAGE, TOWN],
    );
    // a record held by an objection a day into its five-day window
    const [held] = await ds.query(
      `INSERT INTO civic.records (idempotency_key, resident_id, card_no, division_code, town_code, item_scope, item_code, item_version, passbook, points_requested,
         status, occurred_on, registered_by, publicised_by, publicised_until, created_at)
       VALUES ('k2', $1, $2, $3, $4, $4, 'HELP_NEIGHBOUR', 1, 'CIVIC', 3, 'OBJECTED', '2026-01-02', 'registrar', 'clerk', '2026-01-08T00:00:00Z', now()) RETURNING id`,
      [before[1].resident_id, before[1].card_no, VILLAGE, TOWN],
    );
    await ds.query(`INSERT INTO civic.objections (record_id, resident_id, reason, raised_at) VALUES ($1, $2, '不实', '2026-01-04T00:00:00Z')`, [held.id, before[2].resident_id]);
    await ds.destroy();
    ds = await openSubgraphDataSource({ url: db.url, schema: 'civic', entities: [], migrations: [...MIGRATIONS] });

    const after: { card_no: string; resident_id: string }[] = await ds.query(`SELECT card_no, resident_id FROM civic.cards`);
    expect(after).toHaveLength(12);
    expect(after.every((c) => isCardNumber(c.card_no))).toBe(true);
    const aliases: { old_no: string; card_no: string; valid_until: Date }[] = await ds.query(`SELECT old_no, card_no, valid_until FROM civic.card_aliases`);
    expect(aliases).toHaveLength(12);
    const now = Date.now();
    for (const b of before) {
      const a = aliases.find((x) => x.old_no === b.card_no)!;
      expect(after.find((c) => c.card_no === a.card_no)!.resident_id).toBe(b.resident_id);
      expect(a.valid_until.getTime()).toBeGreaterThan(now + 364 * DAY);
      expect(a.valid_until.getTime()).toBeLessThan(now + 367 * DAY);
    }
    const [record] = await ds.query(`SELECT card_no FROM civic.records WHERE idempotency_key = 'k1'`);
    expect(record.card_no).toBe(aliases.find((a) => a.old_no === before[0].card_no)!.card_no);

    const withinYear = new FixedClock(new Date(now + 300 * DAY));
    expect((await cardByNo({ clock: withinYear }, ds.manager, before[0].card_no))?.resident_id).toBe(before[0].resident_id);
    const afterYear = new FixedClock(new Date(now + 367 * DAY));
    expect(await cardByNo({ clock: afterYear }, ds.manager, before[0].card_no)).toBeNull();
    expect((await cardByNo({ clock: afterYear }, ds.manager, record.card_no))?.resident_id).toBe(before[0].resident_id);

    const [paused] = await ds.query(`SELECT publicised_until, publicity_paused_at, publicity_remaining_ms::bigint::text AS remaining FROM civic.records WHERE id = $1`, [held.id]);
    expect(paused).toEqual({ publicised_until: null, publicity_paused_at: new Date('2026-01-04T00:00:00Z'), remaining: String(4 * DAY) });

    // keys are now the registrar's own: another registrar may use 'k1'
    await ds.query(
      `INSERT INTO civic.records (idempotency_key, resident_id, card_no, division_code, town_code, item_scope, item_code, item_version, passbook, points_requested,
         status, occurred_on, registered_by, created_at)
       SELECT 'k1', resident_id, card_no, division_code, town_code, item_scope, item_code, item_version, passbook, points_requested, status, occurred_on, 'other-registrar', now()
         FROM civic.records WHERE idempotency_key = 'k1'`,
    );
    await expect(
      ds.query(
        `INSERT INTO civic.records (idempotency_key, resident_id, card_no, division_code, town_code, item_scope, item_code, item_version, passbook, points_requested,
           status, occurred_on, registered_by, created_at)
         SELECT 'k1', resident_id, card_no, division_code, town_code, item_scope, item_code, item_version, passbook, points_requested, status, occurred_on, 'registrar', now()
           FROM civic.records WHERE idempotency_key = 'k1' AND registered_by = 'other-registrar'`,
      ),
    ).rejects.toThrow(/records_caller_key/);
  });
});

describe('holder consent at the points supermarket, through the gateway', () => {
  let city: TestCity;
  let admin: string;
  const clock = new FixedClock(new Date('2026-07-06T02:00:00Z'));
  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic], workers: true, clock, label: 'civic_consent' });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
    ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 0) }`, {}, await city.token('TOWN_OFFICIAL', { division: TOWN })));
  });
  afterAll(() => city.close());

  const redeemQ = `mutation($i: RedeemInput!) { redeem(input: $i) { id cardNo totalPoints balanceAfter } }`;
  const issue = async (token: string) => ok(await city.query(`mutation { issueRedemptionCode { code cardNo expiresAt } }`, {}, token)).issueRedemptionCode;

  async function holder(points = true) {
    const r = await projectedResident(city, VILLAGE);
    if (points) expect((await throughReview(city, await clerks(city, VILLAGE), r.id, 'BRAVE_RESCUE', '2026-07-01')).creditedPoints).toBe(100);
    const token = await city.token('RESIDENT', { sub: r.id });
    const cardNo = ok(await city.query(`{ myCivicCard { cardNo } }`, {}, token)).myCivicCard.cardNo as string;
    return { r, token, cardNo };
  }

  async function shelf(pointsCost: number, stock: number) {
    const merchantId = `merchant-${randomUUID()}`;
    const merchant = await city.token('MERCHANT', { sub: merchantId });
    const item = ok(await city.query(`mutation { defineRewardItem(name: "洗衣液", pointsCost: ${pointsCost}, stock: ${stock}, merchantId: "${merchantId}") { id } }`, {}, merchant)).defineRewardItem;
    return { merchantId, merchant, rewardId: item.id as string };
  }

  it('issues a code for the caller’s own card only, valid ten minutes, stored hashed', async () => {
    const { token, cardNo } = await holder(false);
    const c = await issue(token);
    expect(c.cardNo).toBe(cardNo);
    expect(c.code).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
    expect(new Date(c.expiresAt).getTime()).toBe(clock.now().getTime() + 10 * 60_000);
    const stored = await city.instances.civic.dataSource.query(`SELECT code_hash FROM civic.redemption_codes WHERE card_no = $1`, [cardNo]);
    expect(stored).toHaveLength(1);
    expect(stored[0].code_hash).not.toContain(c.code);
    for (const role of ['MERCHANT', 'VILLAGE_REGISTRAR', 'DATA_FEED'] as const) {
      expect(codes(await city.query(`mutation { issueRedemptionCode { code } }`, {}, await city.token(role, { division: VILLAGE })))).toEqual(['FORBIDDEN']);
    }
  });

  it('spends the code only when the redemption happens: a refused one leaves it usable', async () => {
    const { r, token, cardNo } = await holder();
    const { merchant, rewardId } = await shelf(30, 1);
    const { code } = await issue(token);
    const tooMany = await city.query(redeemQ, { i: { cardNo, lines: [{ rewardId, quantity: 2 }], idempotencyKey: randomUUID(), holderCode: code } }, merchant);
    expect(codes(tooMany)).toEqual(['OUT_OF_STOCK']);
    const done = ok(await city.query(redeemQ, { i: { cardNo, lines: [{ rewardId, quantity: 1 }], idempotencyKey: randomUUID(), holderCode: code.toLowerCase() } }, merchant)).redeem;
    expect(done).toMatchObject({ cardNo, totalPoints: 30, balanceAfter: null });
    const [spent] = await city.instances.civic.dataSource.query(`SELECT used_at, used_by FROM civic.redemption_codes WHERE card_no = $1`, [cardNo]);
    expect(spent.used_at).not.toBeNull();
    const [a] = await city.instances.civic.dataSource.query(`SELECT balance FROM civic.ledger_accounts WHERE id = $1`, [`civic:CIVIC:${r.id}`]);
    expect(Number(a.balance)).toBe(70);
  });

  it('lets one code pay for one redemption when many race for it, and a replay of the winner answer it again', async () => {
    const { r, token, cardNo } = await holder();
    const { merchant, rewardId } = await shelf(10, 100);
    const { code } = await issue(token);
    const keys = Array.from({ length: 8 }, () => randomUUID());
    const results = await Promise.all(keys.map((idempotencyKey) => city.query(redeemQ, { i: { cardNo, lines: [{ rewardId, quantity: 1 }], idempotencyKey, holderCode: code } }, merchant)));
    const won = results.filter((x) => !x.errors?.length);
    expect(won).toHaveLength(1);
    expect(results.filter((x) => x.errors?.length).map(codes)).toEqual(Array.from({ length: 7 }, () => ['FORBIDDEN']));
    const [a] = await city.instances.civic.dataSource.query(`SELECT balance FROM civic.ledger_accounts WHERE id = $1`, [`civic:CIVIC:${r.id}`]);
    expect(Number(a.balance)).toBe(90);
    const winner = keys[results.indexOf(won[0])];
    const replay = ok(await city.query(redeemQ, { i: { cardNo, lines: [{ rewardId, quantity: 1 }], idempotencyKey: winner, holderCode: code } }, merchant)).redeem;
    expect(replay.id).toBe(won[0].data!.redeem.id);
  });

  it("tells a merchant short of points nothing of the holder's balance", async () => {
    const { token, cardNo } = await holder();
    const { merchant, rewardId } = await shelf(150, 5);
    const refused = await city.query(redeemQ, { i: { cardNo, lines: [{ rewardId, quantity: 1 }], idempotencyKey: randomUUID(), holderCode: (await issue(token)).code } }, merchant);
    expect(codes(refused)).toEqual(['INSUFFICIENT_POINTS']);
    expect(JSON.stringify(refused.errors)).not.toMatch(/"balance"|100|civic:CIVIC/);
    const own = await city.query(redeemQ, { i: { cardNo, lines: [{ rewardId, quantity: 1 }], idempotencyKey: randomUUID() } }, token);
    expect(codes(own)).toEqual(['INSUFFICIENT_POINTS']);
  });

  it("refuses a code of another card, and a resident redeeming on someone else's card even with its code", async () => {
    const a = await holder();
    const b = await holder();
    const { merchant, rewardId } = await shelf(10, 5);
    const codeOfA = (await issue(a.token)).code;
    expect(codes(await city.query(redeemQ, { i: { cardNo: b.cardNo, lines: [{ rewardId, quantity: 1 }], idempotencyKey: randomUUID(), holderCode: codeOfA } }, merchant))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(redeemQ, { i: { cardNo: a.cardNo, lines: [{ rewardId, quantity: 1 }], idempotencyKey: randomUUID(), holderCode: codeOfA } }, b.token))).toEqual(['FORBIDDEN']);
    expect(ok(await city.query(redeemQ, { i: { cardNo: a.cardNo, lines: [{ rewardId, quantity: 1 }], idempotencyKey: randomUUID(), holderCode: codeOfA } }, merchant)).redeem.totalPoints).toBe(10);
  });

  it('resolves an old card number through its alias until the alias ends', async () => {
    const { token, cardNo } = await holder();
    const { rewardId } = await shelf(5, 10);
    const ds = city.instances.civic.dataSource;
    await ds.query(`INSERT INTO civic.card_aliases (old_no, card_no, valid_until) VALUES ($1, $2, $3)`, ['441900099999', cardNo, new Date(clock.now().getTime() + DAY)]);
    expect(ok(await city.query(redeemQ, { i: { cardNo: '441900099999', lines: [{ rewardId, quantity: 1 }], idempotencyKey: randomUUID() } }, token)).redeem).toMatchObject({ cardNo, balanceAfter: 95 });
    clock.advance(DAY);
    expect(codes(await city.query(redeemQ, { i: { cardNo: '441900099999', lines: [{ rewardId, quantity: 1 }], idempotencyKey: randomUUID() } }, token))).toEqual(['FORBIDDEN']);
  });

  it("lets a town official stock only the shelves of merchants registered with its town", async () => {
    const official = await city.token('TOWN_OFFICIAL', { sub: 'official-110', division: TOWN });
    const other = await city.token('TOWN_OFFICIAL', { sub: 'official-121', division: '441900121' });
    const define = (merchantId: string, token: string) => city.query(`mutation { defineRewardItem(name: "大米", pointsCost: 10, stock: 3, merchantId: "${merchantId}") { id merchantId } }`, {}, token);
    const local = `shop-${randomUUID()}`;
    expect(codes(await define(local, official))).toEqual(['FORBIDDEN']);
    expect(ok(await city.query(`mutation { registerMerchant(merchantId: "${local}", townCode: "${TOWN}", name: "石龙爱心超市") { id townCode name } }`, {}, official)).registerMerchant).toEqual({ id: local, townCode: TOWN, name: '石龙爱心超市' });
    expect(ok(await define(local, official)).defineRewardItem.merchantId).toBe(local);
    expect(codes(await define(local, other))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(`mutation { registerMerchant(merchantId: "${local}", townCode: "441900121", name: "搬走") { id } }`, {}, other))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(`mutation { registerMerchant(merchantId: "x-${local}", townCode: "${TOWN}", name: "越权") { id } }`, {}, other))).toEqual(['FORBIDDEN']);
    const count = await city.instances.civic.dataSource.query(`SELECT count(*)::int AS n FROM civic.reward_items WHERE merchant_id = $1`, [local]);
    expect(count).toEqual([{ n: 1 }]);
    expect(ok(await define(`shop-${randomUUID()}`, admin)).defineRewardItem.merchantId).toMatch(/^shop-/);
  });

  it('keeps the ledger sound', async () => {
    expect(await new Ledger({ schema: 'civic' }).checkInvariants(city.instances.civic.dataSource.manager)).toEqual([]);
  });
});
