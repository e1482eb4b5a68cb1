/**
 * Ledger benchmark of the civic subgraph: 50 concurrent clients earn points (a record through
 * the four-step review, posted on approval) and spend them (a merchant's redemption) through the
 * gateway's GraphQL API; then the same number of clients post the same earn/redeem pairs straight
 * to the ledger, in the same run and the same database, as the baseline: one transaction per post
 * (as before), and through the ledger's group commit (concurrent posts share one transaction and
 * one disk flush; durable, synchronous_commit on), and — for information only — group commit with
 * synchronous_commit off (a crash may lose the last acknowledged posts: docs/ledger-throughput.md).
 * Prints postings per second of each and the ratios (also for redemptions alone: the holder's
 * code, then the merchant's redemption, one ledger transaction).
 *
 * Where a redemption's time goes: the same redemptions through the gateway, straight to the civic
 * subgraph (the caller header signed as the gateway does), and as the service functions called in
 * the process (no HTTP, no GraphQL), each with the Node process's CPU per redemption and the SQL
 * statements per redemption; the direct ledger post is the floor.
 *
 * Ends with the ledger's invariant check (sum of postings = balances), failing the run on any
 * violation, and one machine-readable line of `name: value` pairs.
 * With --profile, where the Node CPU of a redemption goes: each redemption phase's CPU profile
 * charged by category (load client, gateway, HTTP + GraphQL, auth, audit, services, SQL, logs and
 * traces, async context, Node's HTTP, GC). --cpu-prof DIR also writes the profiles there;
 * --redeem-only runs the redemption phases alone (cards funded through the ledger), a quick look.
 * Run: node -r @swc-node/register tests/bench/ledger/index.ts [--full] [--scale 0.25] [--profile] [--cpu-prof DIR] [--redeem-only] [--fetch-client]
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { startCity, ok, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { Ledger, type GroupCommit } from '@citypoints/ledger';
import { CALLER_HEADER, createBearerVerifier, type Caller } from '@citypoints/auth';
import { ForwardedCallerSigner } from '../../../gateway/src/subgraph-fetch';
import { gql, TEST_JWT_SECRET, TEST_SUBGRAPH_SECRET, type GraphQLResponse } from '@citypoints/testing';
import { Client as PgClient } from 'pg';
import http from 'node:http';
import { ensureCards, issueAccount, merchantAccount, passbookAccount } from '../../../subgraphs/civic/src/cards/card.service';
import { PassbookKind } from '../../../subgraphs/civic/src/cards/card.type';
import { redeem } from '../../../subgraphs/civic/src/rewards/reward.service';
import { issueRedemptionCode } from '../../../subgraphs/civic/src/rewards/redemption-code.service';
import type { CivicRuntime } from '../../../subgraphs/civic/src/runtime';

const full = process.argv.includes('--full');
const CLIENTS = 50;
const RESIDENTS_PER_CLIENT = 20;
const scaleArg = process.argv.indexOf('--scale');
/** --scale 0.25 runs a quarter of the rounds (a quick check); the figures in the README are at scale 1 */
const SCALE = scaleArg > 0 ? Number(process.argv[scaleArg + 1]) : 1;
/** --redeem-only: only the redemptions (gateway, subgraph, services), the cards funded through the ledger: a quick look while working on that path */
const REDEEM_ONLY = process.argv.includes('--redeem-only');
const profArg = process.argv.indexOf('--cpu-prof');
/** --cpu-prof DIR: the CPU profile of each redemption phase written there (gateway.cpuprofile, …) for tests/bench/gateway/profile-top.ts */
const PROFILE_DIR = profArg > 0 ? process.argv[profArg + 1] : undefined;
const PROFILE = process.argv.includes('--profile') || !!PROFILE_DIR;
const API_ROUNDS = Math.max(1, Math.round((full ? 60 : 12) * SCALE));
const DIRECT_ROUNDS = Math.max(1, Math.round((full ? 600 : 120) * SCALE));
const TOWN = '441900003';
const VILLAGES = ['441900003001', '441900003002', '441900003003', '441900003004'];
const EARN_ITEM = 'BLOOD_DONATION';
const EARN_POINTS = 20;
const PRICE = 10;

interface Client {
  residents: { id: string; cardNo: string; token: string; caller: Caller }[];
  registrar: string;
  reviewer: string;
  clerk: string;
  townReviewer: string;
  merchant: string;
  merchantCaller: Caller;
  rewardId: string;
  merchantId: string;
}

/** SQL statements sent by this process (every pool client of every subgraph), for statements per operation. */
const sql = { statements: 0 };
const pgQuery = PgClient.prototype.query as (...a: unknown[]) => unknown;
(PgClient.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (this: PgClient, ...a: unknown[]) {
  sql.statements++;
  return pgQuery.apply(this, a);
};

/**
 * The load client: POSTs over keep-alive connections with node:http, as a load generator does
 * (autocannon in the gateway bench). It runs in this process, so its CPU counts in the figures;
 * Node's global fetch (undici) cost ~0.5 ms of CPU a request here, as much as the subgraph's
 * whole GraphQL request path. `--fetch-client` sends through fetch instead, as earlier runs did.
 */
const FETCH_CLIENT = process.argv.includes('--fetch-client');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
async function call(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<GraphQLResponse> {
  if (FETCH_CLIENT) return gql(url, query, variables, undefined, headers);
  const body = JSON.stringify({ query, variables });
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            resolve({ ...JSON.parse(text), status: res.statusCode ?? 0 });
          } catch {
            resolve({ errors: [{ message: text }], status: res.statusCode ?? 0 });
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
/** A call through the gateway with a bearer token, as a client makes it. */
const viaGateway = (city: TestCity, query: string, variables: Record<string, unknown>, token: string) => call(city.gatewayUrl, query, variables, { authorization: `Bearer ${token}` });

interface Measured {
  seconds: number;
  postings: number;
  rate: number;
  /** CPU of this Node process (client, gateway and subgraphs) per operation, ms */
  cpuMs: number;
  /** SQL statements per operation (BEGIN and COMMIT included) */
  statements: number;
}

/** What a profile's sample is charged to: the nearest frame on its stack (leaf first) that belongs to one of these. */
const CATEGORIES: [string, RegExp][] = [
  ['load client (the bench)', /\/tests\/|node_modules\/undici\//],
  ['gateway (Apollo gateway, planning, forwarding)', /\/gateway\/src\/|node_modules\/@apollo\/(gateway|query-planner|federation-internals)\//],
  ['auth (tokens, forwarded caller)', /node_modules\/jose\/|\/libs\/auth\/src\/(tokens|caller)/],
  ['audit', /\/libs\/auth\/src\/audit/],
  ['services (civic, ledger)', /\/subgraphs\/|\/libs\/(ledger|kit)\//],
  ['SQL: driver, transactions, socket writes', /node_modules\/(pg|pg-protocol|pg-pool|typeorm)\/|\/libs\/db\//],
  ['logs, traces, metrics', /node_modules\/(@opentelemetry\/[^/]+|pino|prom-client)\/|\/libs\/log\//],
  ['HTTP + GraphQL (Apollo Server, graphql-js, type-graphql)', /node_modules\/(@apollo\/server|@apollo\/subgraph|@apollo\/utils[^/]*|graphql|type-graphql|class-validator|class-transformer|negotiator|lru-cache|@graphql-tools\/[^/]+)\/|\/libs\/federation\//],
];
const ASYNC_CONTEXT = 'async context (AsyncLocalStorage promise hooks)';
const NODE_HTTP = "node's HTTP client and servers (parsing, sockets)";

/**
 * With --profile: samples this process's CPU during one phase and charges each sample to the
 * nearest category on its stack (gateway, HTTP + GraphQL, auth, audit, services, SQL, logs…; Node's
 * own sockets and crypto to the code that called them), the share of each in the busy samples
 * (idle left out; the profiler's own work left out).
 */
async function profiled<T>(enabled: boolean, fn: () => Promise<T>, file?: string): Promise<{ value: T; shares: [string, number][] }> {
  if (!enabled) return { value: await fn(), shares: [] };
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<any>((resolve, reject) => session.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.start');
  const value = await fn();
  const { profile } = await post('Profiler.stop');
  session.disconnect();
  if (file) (require('node:fs') as typeof import('node:fs')).writeFileSync(file, JSON.stringify(profile));
  type ProfileNode = { id: number; children?: number[]; callFrame: { url: string; functionName: string } };
  const nodes = new Map<number, ProfileNode>((profile.nodes as ProfileNode[]).map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of nodes.values()) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id: number, i: number) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const groups = new Map<string, number>();
  let total = 0;
  for (const [id, t] of self) {
    const leaf = nodes.get(id)!.callFrame.functionName;
    if (leaf === '(idle)' || leaf === '(program)') continue;
    // Node's own frames (sockets, crypto, promise hooks) are charged to the nearest code above them
    // that has a category; promise hooks reached before any such code are the async context's
    let group: string | undefined = leaf === '(garbage collector)' ? 'garbage collector' : undefined;
    let core: string | undefined;
    let profiler = false;
    for (let at: number | undefined = id; at !== undefined && !group; at = parent.get(at)) {
      const url = nodes.get(at)!.callFrame.url.replace(/^file:\/\//, '');
      if (url === 'node:inspector') profiler = true;
      if (url.startsWith('node:')) {
        if (/^node:(internal\/)?async_hooks$/.test(url)) group = ASYNC_CONTEXT;
        else if (/^node:_http_/.test(url)) core ??= NODE_HTTP;
        continue;
      }
      group = CATEGORIES.find(([, re]) => re.test(url))?.[0];
    }
    group ??= core;
    if (profiler) continue;
    group ??= 'other (event loop, timers, native)';
    groups.set(group, (groups.get(group) ?? 0) + t);
    total += t;
  }
  return { value, shares: [...groups].map(([g, t]): [string, number] => [g, t / total]).sort((a, b) => b[1] - a[1]) };
}

/** With --profile: each phase's CPU a redemption split by category (the profile's shares of its busy samples times the phase's measured CPU). */
function printBreakdown(phases: [string, [string, number][], number][]): void {
  if (!phases.some(([, shares]) => shares.length)) return;
  const names = [...CATEGORIES.map(([n]) => n), ASYNC_CONTEXT, NODE_HTTP, 'garbage collector', 'other (event loop, timers, native)'];
  console.log(`  where the Node CPU of a redemption goes (CPU profile, ms a redemption): ${phases.map(([p]) => p).join(' | ')}`);
  for (const n of names) {
    const cells = phases.map(([, shares, cpuMs]) => ((shares.find(([g]) => g === n)?.[1] ?? 0) * cpuMs).toFixed(2).padStart(6));
    console.log(`    ${n.padEnd(58)} ${cells.join('  ')}`);
  }
}

/** Runs a phase and measures its postings, wall time, this process's CPU and SQL statements per `ops` operations. */
async function phase(city: TestCity, ops: number, fn: () => Promise<unknown>): Promise<Measured> {
  const before = await postings(city);
  const statements = sql.statements;
  const cpu = process.cpuUsage();
  const t = await timed(fn);
  const used = process.cpuUsage(cpu);
  const n = sql.statements - statements;
  const posted = (await postings(city)) - before;
  return { seconds: t.seconds, postings: posted, rate: posted / t.seconds, cpuMs: (used.user + used.system) / 1000 / ops, statements: n / ops };
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
  const verify = createBearerVerifier({ secret: TEST_JWT_SECRET });
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
      residents: await Promise.all(
        ids.map(async (id) => {
          const token = await city.token('RESIDENT', { sub: id });
          return { id, cardNo: cards.get(id)!.card_no, token, caller: await verify(token) };
        }),
      ),
      registrar: await city.token('VILLAGE_REGISTRAR', { sub: `bench-registrar-${c}`, division: TOWN }),
      reviewer: await city.token('VILLAGE_REVIEWER', { sub: `bench-reviewer-${c}`, division: TOWN }),
      clerk: await city.token('PUBLICITY_CLERK', { sub: `bench-clerk-${c}`, division: TOWN }),
      townReviewer: await city.token('TOWN_REVIEWER', { sub: `bench-town-reviewer-${c}`, division: TOWN }),
      merchant,
      merchantCaller: await verify(merchant),
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
      await viaGateway(city, 
        `mutation($i: RegisterCivicRecordInput!) { registerCivicRecord(input: $i) { id } }`,
        { i: { residentId: r.id, itemCode: EARN_ITEM, occurredOn: today, idempotencyKey: randomUUID() } },
        c.registrar,
      ),
    ).registerCivicRecord;
    ok(await viaGateway(city, `mutation($id: ID!) { reviewCivicRecord(id: $id, approve: true) { id } }`, { id: rec.id }, c.reviewer));
    ok(await viaGateway(city, `mutation($id: ID!) { publiciseCivicRecord(id: $id) { id } }`, { id: rec.id }, c.clerk));
    const approved = ok(await viaGateway(city, `mutation($id: ID!) { approveCivicRecord(id: $id, approve: true) { creditedPoints } }`, { id: rec.id }, c.townReviewer));
    if (approved.approveCivicRecord.creditedPoints !== EARN_POINTS) throw new Error('an earning was not credited in full');
    await merchantRedeems(city, c, r);
    calls += 6;
  }
  return calls;
}

/** The holder issues a one-time code and the merchant redeems with it (two mutations, one ledger transaction). */
async function merchantRedeems(city: TestCity, c: Client, r: Client['residents'][number]): Promise<void> {
  const holderCode = ok(await viaGateway(city, `mutation { issueRedemptionCode { code } }`, {}, r.token)).issueRedemptionCode.code;
  ok(
    await viaGateway(city, 
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

/** The same two mutations sent straight to the civic subgraph, the caller header signed as the gateway signs it (once per caller, reused 30 s). */
async function subgraphRedeemer(city: TestCity, c: Client, rounds: number, signer: ForwardedCallerSigner): Promise<void> {
  const url = city.servers.civic.url;
  const as = async (caller: Caller) => ({ [CALLER_HEADER]: await signer.sign(caller) });
  for (let i = 0; i < rounds; i++) {
    const r = c.residents[i % c.residents.length];
    const holderCode = ok(await call(url, `mutation { issueRedemptionCode { code } }`, {}, await as(r.caller))).issueRedemptionCode.code;
    ok(
      await call(
        url,
        `mutation($i: RedeemInput!) { redeem(input: $i) { totalPoints } }`,
        { i: { cardNo: r.cardNo, lines: [{ rewardId: c.rewardId, quantity: 1 }], idempotencyKey: randomUUID(), holderCode } },
        await as(c.merchantCaller),
      ),
    );
  }
}

/** The same two operations as the subgraph's service functions, called in the process: no HTTP, no GraphQL, no signature. */
async function serviceRedeemer(rt: CivicRuntime, c: Client, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const r = c.residents[i % c.residents.length];
    const code = await issueRedemptionCode(rt, r.caller);
    await redeem(rt, c.merchantCaller, { cardNo: r.cardNo, lines: [{ rewardId: c.rewardId, quantity: 1 }], idempotencyKey: randomUUID(), holderCode: code.code });
  }
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

/** The same earn/redeem pairs through the ledger's group commit: each post still a transaction of its own to its caller. */
async function groupClient(gc: GroupCommit, c: Client, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const r = c.residents[i % c.residents.length];
    const card = passbookAccount(PassbookKind.CIVIC, r.id);
    await gc.post({ idempotencyKey: `bench:earn:${randomUUID()}`, kind: 'CIVIC_RECORD', entries: [{ accountId: card, amount: EARN_POINTS }, { accountId: issueAccount(PassbookKind.CIVIC, r.id), amount: -EARN_POINTS }] });
    await gc.post({ idempotencyKey: `bench:redeem:${randomUUID()}`, kind: 'REDEMPTION', entries: [{ accountId: card, amount: -PRICE }, { accountId: merchantAccount(c.merchantId), amount: PRICE }] });
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

    const load = () => (require('node:os') as typeof import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ');
    console.log(`load average before: ${load()}`);
    const ds = city.instances.civic.dataSource;
    const rt = city.instances.civic.runtime as CivicRuntime;
    const ledger = new Ledger({ schema: 'civic' });
    const redeemRounds = API_ROUNDS * 2;
    const redemptions = CLIENTS * redeemRounds;
    const pairs = CLIENTS * DIRECT_ROUNDS;
    const signer = new ForwardedCallerSigner(TEST_SUBGRAPH_SECRET);

    if (REDEEM_ONLY) {
      // a quick look at the redemption path alone: the cards funded straight through the ledger
      for (const c of clients)
        for (const r of c.residents)
          await ds.transaction((m) =>
            ledger.post(m, { idempotencyKey: `bench:fund:${r.id}`, kind: 'CIVIC_RECORD', entries: [{ accountId: passbookAccount(PassbookKind.CIVIC, r.id), amount: 10_000 }, { accountId: issueAccount(PassbookKind.CIVIC, r.id), amount: -10_000 }] }),
          );
      const gw = await profiled(PROFILE, () => phase(city, redemptions, () => Promise.all(clients.map((c) => apiRedeemer(city, c, redeemRounds)))), PROFILE_DIR && `${PROFILE_DIR}/gateway.cpuprofile`);
      const sub = await profiled(PROFILE, () => phase(city, redemptions, () => Promise.all(clients.map((c) => subgraphRedeemer(city, c, redeemRounds, signer)))), PROFILE_DIR && `${PROFILE_DIR}/subgraph.cpuprofile`);
      const svc = await profiled(PROFILE, () => phase(city, redemptions, () => Promise.all(clients.map((c) => serviceRedeemer(rt, c, redeemRounds)))), PROFILE_DIR && `${PROFILE_DIR}/service.cpuprofile`);
      console.log(`load average after: ${load()}`);
      for (const [name, x] of [['through the gateway', gw.value], ['straight to the civic subgraph', sub.value], ['service functions, in process', svc.value]] as const) {
        console.log(`  ${name.padEnd(34)} ${x.rate.toFixed(0).padStart(6)} postings/s  ${x.cpuMs.toFixed(2).padStart(6)} ms Node CPU  ${x.statements.toFixed(1).padStart(5)} SQL statements  (per redemption)`);
      }
      printBreakdown([['through the gateway', gw.shares, gw.value.cpuMs], ['straight to civic', sub.shares, sub.value.cpuMs], ['service functions', svc.shares, svc.value.cpuMs]]);
      const found = await ledger.checkInvariants(ds.manager);
      violations = found.length;
      console.log(`invariant check: ${violations} violations`);
      return;
    }
    // the API first: its earnings fund the redemptions; each direct phase nets +10 per round on the cards
    const api = await phase(city, CLIENTS * API_ROUNDS, () => Promise.all(clients.map((c) => apiClient(city, c, API_ROUNDS, today))));
    const direct = await phase(city, pairs * 2, () => Promise.all(clients.map((c) => directClient(city, ledger, c, DIRECT_ROUNDS))));
    const durable = ledger.groupCommit(ds);
    const group = await phase(city, pairs * 2, () => Promise.all(clients.map((c) => groupClient(durable, c, DIRECT_ROUNDS))));
    const relaxed = ledger.groupCommit(ds, { synchronousCommit: 'off' });
    const groupAsync = await phase(city, pairs * 2, () => Promise.all(clients.map((c) => groupClient(relaxed, c, DIRECT_ROUNDS))));
    const prof = await profiled(PROFILE, () => phase(city, redemptions, () => Promise.all(clients.map((c) => apiRedeemer(city, c, redeemRounds)))), PROFILE_DIR && `${PROFILE_DIR}/gateway.cpuprofile`);
    const gateway = prof.value;
    const subProf = await profiled(PROFILE, () => phase(city, redemptions, () => Promise.all(clients.map((c) => subgraphRedeemer(city, c, redeemRounds, signer)))), PROFILE_DIR && `${PROFILE_DIR}/subgraph.cpuprofile`);
    const subgraph = subProf.value;
    const service = await phase(city, redemptions, () => Promise.all(clients.map((c) => serviceRedeemer(rt, c, redeemRounds))));
    console.log(`load average after: ${load()}`);

    const f0 = (x: number) => x.toFixed(0);
    const f2 = (x: number) => x.toFixed(2);
    const f3 = (x: number) => x.toFixed(3);
    console.log(`GraphQL API    : ${api.postings} postings (${CLIENTS * API_ROUNDS} earnings through the four-step review + ${CLIENTS * API_ROUNDS} redemptions, 6 mutations a round) in ${f2(api.seconds)} s = ${f0(api.rate)} postings/s; ${f2(api.cpuMs)} ms CPU and ${api.statements.toFixed(1)} SQL statements a round`);
    console.log(`direct         : ${direct.postings} postings (${pairs} earn + ${pairs} redeem ledger posts, one transaction each) in ${f2(direct.seconds)} s = ${f0(direct.rate)} postings/s; ${direct.statements.toFixed(1)} SQL statements a post`);
    console.log(`direct, group  : ${group.postings} postings (the same posts through group commit, synchronous_commit on: durable) in ${f2(group.seconds)} s = ${f0(group.rate)} postings/s; ${durable.stats.transactions} transactions (${(durable.stats.posts / Math.max(1, durable.stats.transactions)).toFixed(1)} posts each), ${group.statements.toFixed(2)} SQL statements a post`);
    console.log(`direct, group, synchronous_commit off (NOT the default; a crash may lose the last ~0.6 s of acknowledged posts, never consistency): ${f0(groupAsync.rate)} postings/s, ${f2(groupAsync.rate / group.rate)}× durable group commit`);
    console.log(`API redeem     : ${gateway.postings} postings (${redemptions} redemptions: holder's code + merchant's redeem) in ${f2(gateway.seconds)} s = ${f0(gateway.rate)} postings/s`);
    console.log(`ratio API / direct (one transaction a post): ${f3(api.rate / direct.rate)} (earn + redeem), ${f3(gateway.rate / direct.rate)} (redeem only)`);
    console.log(`ratio API / direct (group commit)          : ${f3(api.rate / group.rate)} (earn + redeem), ${f3(gateway.rate / group.rate)} (redeem only)`);
    console.log(`ratio direct group commit / one transaction a post: ${f2(group.rate / direct.rate)}`);
    console.log(`where a redemption's time goes (${redemptions} redemptions each; Node CPU = client + gateway + subgraph in this one process):`);
    const row = (name: string, x: Measured) => console.log(`  ${name.padEnd(34)} ${f0(x.rate).padStart(6)} postings/s  ${(Number.isNaN(x.cpuMs) ? '-' : f2(x.cpuMs)).padStart(6)} ms Node CPU  ${x.statements.toFixed(1).padStart(5)} SQL statements  (per redemption)`);
    row('through the gateway', gateway);
    row('straight to the civic subgraph', subgraph);
    row('service functions, in process', service);
    row('its ledger post alone (direct)', direct);
    console.log(`  Node CPU a redemption (two requests): the gateway's share ${f2(gateway.cpuMs - subgraph.cpuMs)} ms; the load client, the subgraph's HTTP, GraphQL and caller check ${f2(subgraph.cpuMs - service.cpuMs)} ms; the services themselves ${f2(service.cpuMs)} ms; a direct ledger post ${f2(direct.cpuMs)} ms`);
    printBreakdown([['through the gateway', prof.shares, gateway.cpuMs], ['straight to civic', subProf.shares, subgraph.cpuMs]]);
    const found = await ledger.checkInvariants(city.instances.civic.dataSource.manager);
    violations = found.length;
    console.log(`invariant check: ${violations} violations${violations ? ': ' + JSON.stringify(found.slice(0, 5)) : ''}`);
    console.log(
      [
        `api_postings_per_s: ${f0(api.rate)}`,
        `api_redeem_postings_per_s: ${f0(gateway.rate)}`,
        `direct_postings_per_s: ${f0(direct.rate)}`,
        `group_postings_per_s: ${f0(group.rate)}`,
        `group_async_postings_per_s: ${f0(groupAsync.rate)}`,
        `subgraph_redeem_postings_per_s: ${f0(subgraph.rate)}`,
        `service_redeem_postings_per_s: ${f0(service.rate)}`,
        `api_vs_direct: ${f3(api.rate / direct.rate)}`,
        `redeem_vs_direct: ${f3(gateway.rate / direct.rate)}`,
        `api_vs_group: ${f3(api.rate / group.rate)}`,
        `redeem_vs_group: ${f3(gateway.rate / group.rate)}`,
        `group_vs_direct: ${f2(group.rate / direct.rate)}`,
        `redeem_sql_statements: ${service.statements.toFixed(1)}`,
        `redeem_gateway_cpu_ms: ${f2(gateway.cpuMs)}`,
        `redeem_subgraph_cpu_ms: ${f2(subgraph.cpuMs)}`,
        `redeem_service_cpu_ms: ${f2(service.cpuMs)}`,
        `violations: ${violations}`,
      ].join(', '),
    );
  } finally {
    await city.close();
  }
  if (violations !== 0) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
