/**
 * Ledger benchmark of the civic subgraph: 50 concurrent clients earn points (a record through
 * the four-step review, posted on approval) and spend them (a merchant's redemption) through the
 * gateway's GraphQL API; then the same number of clients post the same earn/redeem pairs straight
 * to the ledger, in the same run and the same database, as the baseline. Prints postings per
 * second of each and their ratio (also for redemptions alone: the holder's code, then the merchant's redemption, one ledger
 * transaction), and ends with the ledger's invariant check (sum of postings =
 * balances), failing the run on any violation.
 * Run: node -r @swc-node/register tests/bench/ledger/index.ts [--full]
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { startCity, ok, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { Ledger } from '@citypoints/ledger';
import { ensureCards, issueAccount, merchantAccount, passbookAccount } from '../../../subgraphs/civic/src/cards/card.service';
import { PassbookKind } from '../../../subgraphs/civic/src/cards/card.type';

const full = process.argv.includes('--full');
const CLIENTS = 50;
const RESIDENTS_PER_CLIENT = 20;
const API_ROUNDS = full ? 60 : 12;
const DIRECT_ROUNDS = full ? 600 : 120;
const TOWN = '441900003';
const VILLAGES = ['441900003001', '441900003002', '441900003003', '441900003004'];
const EARN_ITEM = 'BLOOD_DONATION';
const EARN_POINTS = 20;
const PRICE = 10;

interface Client {
  residents: { id: string; cardNo: string; token: string }[];
  registrar: string;
  reviewer: string;
  clerk: string;
  townReviewer: string;
  merchant: string;
  rewardId: string;
  merchantId: string;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, value };
}

async function postings(city: TestCity): Promise<number> {
  return Number((await city.instances.civic.dataSource.query(`SELECT count(*) AS n FROM civic.ledger_postings`))[0].n);
}

async function prepare(city: TestCity): Promise<Client[]> {
  const ds = city.instances.civic.dataSource;
  const ledger = new Ledger({ schema: 'civic' });
  const admin = await city.token('CITY_ADMIN', { sub: 'bench-admin' });
  ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 0) }`, {}, admin));
  const clients: Client[] = [];
  for (let c = 0; c < CLIENTS; c++) {
    const ids = Array.from({ length: RESIDENTS_PER_CLIENT }, () => randomUUID());
    // the projection registry's events would build: residents of the town's villages
    await ds.query(
      `INSERT INTO civic.residents (id, division_code, household_id, name_masked) SELECT id, $2, NULL, '测*' FROM unnest($1::uuid[]) AS id`,
      [ids, VILLAGES[c % VILLAGES.length]],
    );
    const cards = await ds.transaction((m) => ensureCards({ ledger }, m, ids, new Date()));
    const merchantId = `bench-merchant-${c}`;
    const merchant = await city.token('MERCHANT', { sub: merchantId });
    const reward = ok(await city.query(`mutation { defineRewardItem(name: "大米", pointsCost: ${PRICE}, stock: 1000000, merchantId: "${merchantId}") { id } }`, {}, merchant)).defineRewardItem;
    await ds.transaction((m) => ledger.openAccount(m, { id: merchantAccount(merchantId), ownerId: merchantId, kind: 'MERCHANT' }));
    clients.push({
      residents: await Promise.all(ids.map(async (id) => ({ id, cardNo: cards.get(id)!.card_no, token: await city.token('RESIDENT', { sub: id }) }))),
      registrar: await city.token('VILLAGE_REGISTRAR', { sub: `bench-registrar-${c}`, division: TOWN }),
      reviewer: await city.token('VILLAGE_REVIEWER', { sub: `bench-reviewer-${c}`, division: TOWN }),
      clerk: await city.token('PUBLICITY_CLERK', { sub: `bench-clerk-${c}`, division: TOWN }),
      townReviewer: await city.token('TOWN_REVIEWER', { sub: `bench-town-reviewer-${c}`, division: TOWN }),
      merchant,
      rewardId: reward.id,
      merchantId,
    });
  }
  return clients;
}

/** One client's rounds through the API: each round earns on one of its residents' cards and redeems on it. */
async function apiClient(city: TestCity, c: Client, rounds: number, today: string): Promise<number> {
  let calls = 0;
  for (let i = 0; i < rounds; i++) {
    const r = c.residents[i % c.residents.length];
    const rec = ok(
      await city.query(
        `mutation($i: RegisterCivicRecordInput!) { registerCivicRecord(input: $i) { id } }`,
        { i: { residentId: r.id, itemCode: EARN_ITEM, occurredOn: today, idempotencyKey: randomUUID() } },
        c.registrar,
      ),
    ).registerCivicRecord;
    ok(await city.query(`mutation($id: ID!) { reviewCivicRecord(id: $id, approve: true) { id } }`, { id: rec.id }, c.reviewer));
    ok(await city.query(`mutation($id: ID!) { publiciseCivicRecord(id: $id) { id } }`, { id: rec.id }, c.clerk));
    const approved = ok(await city.query(`mutation($id: ID!) { approveCivicRecord(id: $id, approve: true) { creditedPoints } }`, { id: rec.id }, c.townReviewer));
    if (approved.approveCivicRecord.creditedPoints !== EARN_POINTS) throw new Error('an earning was not credited in full');
    await merchantRedeems(city, c, r);
    calls += 6;
  }
  return calls;
}

/** The holder issues a one-time code and the merchant redeems with it (two mutations, one ledger transaction). */
async function merchantRedeems(city: TestCity, c: Client, r: Client['residents'][number]): Promise<void> {
  const holderCode = ok(await city.query(`mutation { issueRedemptionCode { code } }`, {}, r.token)).issueRedemptionCode.code;
  ok(
    await city.query(
      `mutation($i: RedeemInput!) { redeem(input: $i) { totalPoints } }`,
      { i: { cardNo: r.cardNo, lines: [{ rewardId: c.rewardId, quantity: 1 }], idempotencyKey: randomUUID(), holderCode } },
      c.merchant,
    ),
  );
}

/** Redemptions alone through the API: one mutation, one ledger transaction of two postings. */
async function apiRedeemer(city: TestCity, c: Client, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) await merchantRedeems(city, c, c.residents[i % c.residents.length]);
}

/** The same earn/redeem pair posted straight to the ledger, one transaction each. */
async function directClient(city: TestCity, ledger: Ledger, c: Client, rounds: number): Promise<void> {
  const ds = city.instances.civic.dataSource;
  for (let i = 0; i < rounds; i++) {
    const r = c.residents[i % c.residents.length];
    const card = passbookAccount(PassbookKind.CIVIC, r.id);
    await ds.transaction((m) =>
      ledger.post(m, { idempotencyKey: `bench:earn:${randomUUID()}`, kind: 'CIVIC_RECORD', entries: [{ accountId: card, amount: EARN_POINTS }, { accountId: issueAccount(PassbookKind.CIVIC, r.id), amount: -EARN_POINTS }] }),
    );
    await ds.transaction((m) =>
      ledger.post(m, { idempotencyKey: `bench:redeem:${randomUUID()}`, kind: 'REDEMPTION', entries: [{ accountId: card, amount: -PRICE }, { accountId: merchantAccount(c.merchantId), amount: PRICE }] }),
    );
  }
}

async function main() {
  process.env.CITYPOINTS_TEST_PG_URL = process.env.CITYPOINTS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const city = await startCity({ modules: [registry, civic], label: 'bench_ledger' });
  let violations = -1;
  try {
    console.log(`civic ledger benchmark: ${CLIENTS} concurrent clients, ${CLIENTS * RESIDENTS_PER_CLIENT} cards${full ? '' : ' (reduced scale; --full for the full run)'}`);
    const clients = await prepare(city);
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

    const before = await postings(city);
    const api = await timed(() => Promise.all(clients.map((c) => apiClient(city, c, API_ROUNDS, today))));
    const apiPostings = (await postings(city)) - before;
    const calls = api.value.reduce((a, b) => a + b, 0);

    const ledger = new Ledger({ schema: 'civic' });
    const mid = await postings(city);
    const direct = await timed(() => Promise.all(clients.map((c) => directClient(city, ledger, c, DIRECT_ROUNDS))));
    const directPostings = (await postings(city)) - mid;

    // spends what the direct phase left on the cards (each of its rounds nets +10 points)
    const redeemRounds = API_ROUNDS * 2;
    const beforeRedeem = await postings(city);
    const redeemOnly = await timed(() => Promise.all(clients.map((c) => apiRedeemer(city, c, redeemRounds))));
    const redeemPostings = (await postings(city)) - beforeRedeem;

    const apiRate = apiPostings / api.seconds;
    const redeemRate = redeemPostings / redeemOnly.seconds;
    const directRate = directPostings / direct.seconds;
    console.log(`GraphQL API : ${apiPostings} postings (${CLIENTS * API_ROUNDS} earnings through the four-step review + ${CLIENTS * API_ROUNDS} redemptions, ${calls} mutations) in ${api.seconds.toFixed(2)} s = ${apiRate.toFixed(0)} postings/s, ${(calls / api.seconds).toFixed(0)} mutations/s`);
    console.log(`direct      : ${directPostings} postings (${CLIENTS * DIRECT_ROUNDS} earn + ${CLIENTS * DIRECT_ROUNDS} redeem ledger posts) in ${direct.seconds.toFixed(2)} s = ${directRate.toFixed(0)} postings/s`);
    console.log(`API redeem  : ${redeemPostings} postings (${CLIENTS * redeemRounds} redemptions) in ${redeemOnly.seconds.toFixed(2)} s = ${redeemRate.toFixed(0)} postings/s`);
    console.log(`ratio API / direct: ${(apiRate / directRate).toFixed(3)} (earn + redeem), ${(redeemRate / directRate).toFixed(3)} (redeem only)`);

    const found = await ledger.checkInvariants(city.instances.civic.dataSource.manager);
    violations = found.length;
    console.log(`invariant check: ${violations} violations${violations ? ': ' + JSON.stringify(found.slice(0, 5)) : ''}`);
  } finally {
    await city.close();
  }
  if (violations !== 0) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
