import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { registry } from '@citypoints/registry';
import { codes, ok, startCity, TEST_JWT_SECRET, TEST_SUBGRAPH_SECRET, type TestCity } from '@citypoints/test-city';
import { composeSupergraph, startGateway, rateLimitStoreFor, PostgresRateLimitStore, RedisRateLimitStore, type RateLimitStore } from '@citypoints/gateway';
import type { RunningServer } from '@citypoints/federation';
import { gauge, composeSupergraphFrom } from './gateway-fixture';

/** A raw POST to a gateway: status, headers and the parsed body (when JSON). */
async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await r.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: r.status, headers: r.headers, json, text };
}

const gql = (url: string, query: string, variables: Record<string, unknown> = {}, token?: string) =>
  post(url, JSON.stringify({ query, variables }), token ? { authorization: `Bearer ${token}` } : {});

describe('the gateway limits what one request and one caller can ask', () => {
  let city: TestCity;
  let admin: string;
  let gw: RunningServer;
  let store: RateLimitStore;

  beforeAll(async () => {
    city = await startCity({ modules: [registry, gauge], label: 'gateway_limits' });
    admin = await city.token('CITY_ADMIN');
    const { sdl, urls } = composeSupergraphFrom(city);
    store = rateLimitStoreFor(city.queue, city.queuePrefix);
    // a second gateway over the same subgraphs: a small cost limit, and a rate limit that
    // refills one request per 100 s so the test never depends on how fast it runs
    gw = await startGateway({
      supergraphSdl: sdl,
      serviceUrls: urls,
      port: 0,
      jwtSecret: TEST_JWT_SECRET,
      subgraphSecret: TEST_SUBGRAPH_SECRET,
      maxCost: 5_000,
      subgraphTimeoutMs: 500,
      rateLimit: { store, perSecond: 0.01, burst: 4 },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await store?.close();
    await city?.close();
  });

  const rootFields = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `d${i}: divisions(parentCode: "441900") { code }`).join(' ')} }`;

  it('refuses an operation with 150 root fields (aliases count) and answers one with 50', async () => {
    const refused = await city.query(rootFields(150), {}, admin);
    expect(codes(refused)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(refused.errors![0].message).toMatch(/150 root fields; at most 100/);
    expect(refused.data ?? null).toBeNull();
    const viaFragments = await city.query(`query { ...A ...B } fragment A on Query { ${rootFields(60).slice(1, -1)} } fragment B on Query { ${rootFields(60).slice(1, -1).replace(/d(\d+):/g, 'e$1:')} }`, {}, admin);
    expect(viaFragments.errors?.[0]?.message).toMatch(/120 root fields/);
    const d = ok(await city.query(rootFields(50), {}, admin));
    expect(Object.keys(d)).toHaveLength(50);
  });

  it('costs a page size or a list given by a variable at its value', async () => {
    // every call its own subject: this gateway's rate limit is tiny, and is tested below
    const fresh = () => city.token('CITY_ADMIN');
    const q = `query($n: Int) { gaugeItems(first: $n) { n } }`;
    const small = await gql(gw.url, q, { n: 10 }, await fresh());
    expect(small.json.errors).toBeUndefined();
    expect(small.json.data.gaugeItems).toHaveLength(10);
    const big = await gql(gw.url, `query($n: Int) { a: gaugeItems(first: $n) { n } b: gaugeItems(first: $n) { n } }`, { n: 4_000 }, await fresh());
    expect(big.status).toBe(400);
    expect(big.json.errors.map((e: any) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    expect(big.json.errors[0].message).toMatch(/cost \d+ exceeds the limit of 5000/);
    // the same text with a literal that small passes: only the variable's value made it dear
    const literal = await gql(gw.url, `{ a: gaugeItems(first: 10) { n } b: gaugeItems(first: 10) { n } }`, {}, await fresh());
    expect(literal.json.errors).toBeUndefined();
    // left out, the variable costs the field's default page (50), as it will run
    const tenPages = `query($n: Int) { ${Array.from({ length: 10 }, (_, i) => `p${i}: gaugeItems(first: $n) { n }`).join(' ')} }`;
    expect((await gql(gw.url, tenPages, {}, await fresh())).json.errors).toBeUndefined();
    expect((await gql(gw.url, tenPages, { n: 500 }, await fresh())).json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const leftOut = await gql(gw.url, `query($n: Int) { a: gaugeItems(first: $n) { n } b: gaugeItems(first: $n) { n } }`, {}, await fresh());
    expect(leftOut.json.errors).toBeUndefined();
    expect(leftOut.json.data.a).toHaveLength(50);
    const lookups = await gql(gw.url, `query($ids: [ID!]!) { gaugeLookup(ids: $ids) }`, { ids: Array.from({ length: 6_000 }, (_, i) => String(i)) }, await fresh());
    expect(lookups.json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a 5 MiB body with 413 before parsing it', async () => {
    const huge = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(5 * 1024 * 1024) } });
    const r = await post(city.gatewayUrl, huge, { authorization: `Bearer ${admin}` });
    expect(r.status).toBe(413);
    expect(r.json.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    // not JSON at all, and still 413: the body is never parsed
    const junk = await post(city.gatewayUrl, '{'.repeat(3 * 1024 * 1024));
    expect(junk.status).toBe(413);
    const fine = await post(city.gatewayUrl, JSON.stringify({ query: '{ __typename }' }));
    expect(fine.status).toBe(200);
  });

  it('refuses a token without exp, and answers a bearer of one with exp', async () => {
    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    const noExp = await new SignJWT({ roles: ['CITY_ADMIN'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('no-exp').setIssuedAt().sign(key);
    const refused = await city.query(`{ divisions(parentCode: "441900") { code } }`, {}, noExp);
    expect(codes(refused)).toEqual(['UNAUTHENTICATED']);
    const withExp = await new SignJWT({ roles: ['CITY_ADMIN'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('with-exp').setIssuedAt().setExpirationTime('5m').sign(key);
    expect(codes(await city.query(`{ divisions(parentCode: "441900") { code } }`, {}, withExp))).toEqual([]);
  });

  it('limits each caller with a token bucket: 429 RATE_LIMITED with Retry-After, per subject and per address', async () => {
    const alice = await city.token('CITY_ADMIN', { sub: 'rate-alice' });
    const bob = await city.token('CITY_ADMIN', { sub: 'rate-bob' });
    const q = `{ gaugeItems(first: 1) { n } }`;
    for (let i = 0; i < 4; i++) expect((await gql(gw.url, q, {}, alice)).status).toBe(200);
    const limited = await gql(gw.url, q, {}, alice);
    expect(limited.status).toBe(429);
    expect(limited.json.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // another subject has a bucket of its own
    expect((await gql(gw.url, q, {}, bob)).status).toBe(200);
    // a new token of the same subject shares alice's bucket
    const alice2 = await city.token('RESIDENT', { sub: 'rate-alice' });
    expect((await gql(gw.url, q, {}, alice2)).status).toBe(429);
    // anonymous callers are limited per address
    let anonymous = 0;
    for (let i = 0; i < 6; i++) if ((await gql(gw.url, q)).status === 429) anonymous++;
    expect(anonymous).toBeGreaterThanOrEqual(2);
  });

  it('keeps the bucket in PostgreSQL when there is no Redis, shared by every gateway', async () => {
    const a = new PostgresRateLimitStore(city.db.url);
    const b = new PostgresRateLimitStore(city.db.url);
    try {
      const results = [];
      for (let i = 0; i < 3; i++) results.push((await a.take('pg-key', 0.01, 3)).allowed);
      results.push((await b.take('pg-key', 0.01, 3)).allowed);
      expect(results).toEqual([true, true, true, false]);
      const refused = await a.take('pg-key', 0.01, 3);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(1_000);
      expect((await b.take('pg-other', 0.01, 3)).allowed).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  (process.env.CITYPOINTS_TEST_REDIS_URL ? it : it.skip)('keeps the bucket in Redis, shared by every gateway', async () => {
    const url = process.env.CITYPOINTS_TEST_REDIS_URL!;
    const a = new RedisRateLimitStore(url, city.queuePrefix);
    const b = new RedisRateLimitStore(url, city.queuePrefix);
    try {
      const results = [];
      for (let i = 0; i < 2; i++) results.push((await a.take('redis-key', 0.01, 2)).allowed);
      results.push((await b.take('redis-key', 0.01, 2)).allowed);
      expect(results).toEqual([true, true, false]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('gives up on a subgraph that does not answer within the timeout, and still answers the rest', async () => {
    const bob = await city.token('CITY_ADMIN', { sub: 'timeout-caller' });
    const r = await gql(gw.url, `{ gaugeSlow }`, {}, bob);
    expect(r.status).toBe(200);
    expect(r.json.data?.gaugeSlow ?? null).toBeNull();
    expect(r.json.errors.length).toBeGreaterThan(0);
    expect(JSON.stringify(r.json)).not.toContain('late');
  });

  it('answers a malformed DateTime or Date, as a literal or a variable, with BAD_USER_INPUT', async () => {
    const literal = await city.query(`{ gaugeWhen(at: "yesterday") }`, {}, admin);
    expect(codes(literal)).toEqual(['BAD_USER_INPUT']);
    const variable = await city.query(`query($at: DateTime!) { gaugeWhen(at: $at) }`, { at: 'yesterday' }, admin);
    expect(codes(variable)).toEqual(['BAD_USER_INPUT']);
    const day = await city.query(`query($at: DateTime!, $d: Date) { gaugeWhen(at: $at, day: $d) }`, { at: '2026-01-01T00:00:00Z', d: '2026-02-30' }, admin);
    expect(codes(day)).toEqual(['BAD_USER_INPUT']);
    const dayLiteral = await city.query(`{ gaugeWhen(at: "2026-01-01T00:00:00Z", day: "tomorrow") }`, {}, admin);
    expect(codes(dayLiteral)).toEqual(['BAD_USER_INPUT']);
    const good = ok(await city.query(`{ gaugeWhen(at: "2026-01-01T08:00:00+08:00", day: "2026-01-02") }`, {}, admin));
    expect(good.gaugeWhen).toBe('2026-01-01T00:00:00.000Z 2026-01-02');
  });

  it('reads only the variables the request gives: one named after an Object member and left out is left out', async () => {
    // costed at the field's default page like any variable left out, not at the largest page
    for (const name of ['constructor', 'toString']) {
      const tenPages = `query($${name}: Int) { ${Array.from({ length: 10 }, (_, i) => `p${i}: gaugeItems(first: $${name}) { n }`).join(' ')} }`;
      const r = await gql(gw.url, tenPages, {}, await city.token('CITY_ADMIN'));
      expect(r.json.errors).toBeUndefined();
      expect(r.json.data.p9).toHaveLength(50);
    }
    // a Date variable left out is no malformed Date
    for (const name of ['constructor', 'valueOf']) {
      const day = ok(await city.query(`query($at: DateTime!, $${name}: Date) { gaugeWhen(at: $at, day: $${name}) }`, { at: '2026-01-01T00:00:00Z' }, admin));
      expect(day.gaugeWhen).toBe('2026-01-01T00:00:00.000Z -');
    }
  });
});

describe('a subgraph timeout against a server that never answers', () => {
  it('aborts the fetch and answers with an error', async () => {
    const hanging = http.createServer(() => undefined);
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    const sdl = composeSupergraph([{ name: 'gauge', sdl: (await gauge.buildSchema()).sdl, url: 'http://127.0.0.1:1/graphql' }]);
    const gw = await startGateway({
      supergraphSdl: sdl,
      serviceUrls: { gauge: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/graphql` },
      port: 0,
      jwtSecret: TEST_JWT_SECRET,
      subgraphSecret: TEST_SUBGRAPH_SECRET,
      subgraphTimeoutMs: 300,
    });
    try {
      const r = await gql(gw.url, `{ gaugeItems(first: 1) { n } }`);
      expect(r.json.data?.gaugeItems ?? null).toBeNull();
      expect(r.json.errors.length).toBeGreaterThan(0);
    } finally {
      await gw.close();
      hanging.closeAllConnections();
      hanging.close();
    }
  });
});
