import { registry } from '@citypoints/registry';
import { CITY_QUEUES } from '@citypoints/config';
import { createQueue, type QueueConnection } from '@citypoints/jobs';
import { startProbeServer } from '@citypoints/log';
import { ok, startCity, TEST_JWT_SECRET, TEST_SUBGRAPH_SECRET, type TestCity } from '@citypoints/test-city';
import { startGateway, MemoryRateLimitStore } from '@citypoints/gateway';
import type { RunningServer } from '@citypoints/federation';
import { gauge, composeSupergraphFrom } from './gateway-fixture';

const originOf = (url: string) => url.replace(/\/graphql$/, '');

async function startAdminGateway(city: TestCity, connection: QueueConnection): Promise<RunningServer> {
  const { sdl, urls } = composeSupergraphFrom(city);
  return startGateway({
    supergraphSdl: sdl,
    serviceUrls: urls,
    port: 0,
    jwtSecret: TEST_JWT_SECRET,
    subgraphSecret: TEST_SUBGRAPH_SECRET,
    rateLimit: { store: new MemoryRateLimitStore(), perSecond: 100, burst: 1000 },
    adminQueues: { connection, prefix: city.queuePrefix, queues: [...CITY_QUEUES], sessionSecret: TEST_SUBGRAPH_SECRET },
  });
}

describe('what operations see of the gateway', () => {
  let city: TestCity;
  let gw: RunningServer;
  let origin: string;
  let admin: string;

  beforeAll(async () => {
    city = await startCity({ modules: [registry, gauge], label: 'gateway_obs' });
    gw = await startAdminGateway(city, city.queue);
    origin = originOf(gw.url);
    admin = await city.token('CITY_ADMIN', { sub: 'ops-admin' });
  });
  afterAll(async () => {
    await gw?.close();
    await city?.close();
  });

  it('answers /health and /ready (every subgraph reachable) on the gateway and each subgraph', async () => {
    const health = await fetch(`${origin}/health`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${origin}/ready`);
    const body = await ready.json();
    expect(ready.status).toBe(200);
    expect(body.checks).toMatchObject({ 'subgraph:registry': true, 'subgraph:gauge': true, queues: true });
    for (const s of Object.values(city.servers)) {
      expect((await fetch(`${originOf(s.url)}/health`)).status).toBe(200);
      const r = await fetch(`${originOf(s.url)}/ready`);
      expect(r.status).toBe(200);
      expect((await r.json()).checks.database).toBe(true);
    }
  });

  it('says not ready when a subgraph is down', async () => {
    const { sdl } = composeSupergraphFrom(city);
    const lonely = await startGateway({ supergraphSdl: sdl, serviceUrls: { registry: city.servers.registry.url, gauge: 'http://127.0.0.1:1/graphql' }, port: 0, jwtSecret: TEST_JWT_SECRET, subgraphSecret: TEST_SUBGRAPH_SECRET });
    try {
      const r = await fetch(`${originOf(lonely.url)}/ready`);
      expect(r.status).toBe(503);
      expect((await r.json()).checks).toEqual({ 'subgraph:registry': true, 'subgraph:gauge': false });
      expect((await fetch(`${originOf(lonely.url)}/health`)).status).toBe(200);
    } finally {
      await lonely.close();
    }
  });

  it('serves Prometheus metrics: requests and latency per operation, subgraph fetches, pools', async () => {
    ok(await city.query(`query CityDivisions { divisions(parentCode: "441900") { code } }`, {}, admin));
    const res = await fetch(`${gw.url}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify({ query: 'query GaugeTen { gaugeItems(first: 10) { n } }' }) });
    expect(res.status).toBe(200);
    const m = await fetch(`${origin}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await m.text();
    expect(text).toMatch(/citypoints_gateway_requests_total\{operation="GaugeTen",type="query",outcome="OK"\} [1-9]/);
    expect(text).toMatch(/citypoints_gateway_request_duration_seconds_bucket\{le="[^"]+",operation="GaugeTen",type="query"\} [1-9]/);
    expect(text).toMatch(/citypoints_subgraph_fetch_duration_seconds_count\{subgraph="gauge",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/citypoints_db_pool_connections\{schema="registry",state="total"\} \d/);
    expect(text).toMatch(/citypoints_outbox_lag_seconds\{schema="registry"\} [\d.]+/);
    expect(text).toContain('citypoints_process_resident_memory_bytes');
    const sub = await fetch(`${originOf(city.servers.registry.url)}/metrics`);
    expect(sub.status).toBe(200);
    expect(await sub.text()).toContain('citypoints_subgraph_request_duration_seconds');
  });

  it('shows queue depth on /metrics', async () => {
    const q = createQueue('settlement.admission', city.queue, { prefix: city.queuePrefix });
    try {
      await q.add('probe', { n: 1 });
      const text = await (await fetch(`${origin}/metrics`)).text();
      expect(text).toMatch(/citypoints_queue_jobs\{queue="settlement.admission",state="waiting"\} [1-9]/);
    } finally {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
  });

  it('guards the job dashboard: 401 without credentials, 403 for others, 200 for CITY_ADMIN', async () => {
    const none = await fetch(`${origin}/admin/queues`);
    expect(none.status).toBe(401);
    const noneApi = await fetch(`${origin}/admin/queues/api/queues`);
    expect(noneApi.status).toBe(401);
    const html = await fetch(`${origin}/admin/queues`, { headers: { accept: 'text/html' } });
    expect(html.status).toBe(401);
    expect(await html.text()).toContain('<form');
    const bad = await fetch(`${origin}/admin/queues`, { headers: { authorization: 'Bearer nonsense' } });
    expect(bad.status).toBe(401);
    const official = await city.token('TOWN_OFFICIAL', { division: '441900003' });
    expect((await fetch(`${origin}/admin/queues`, { headers: { authorization: `Bearer ${official}` } })).status).toBe(403);
    const forgedCookie = await fetch(`${origin}/admin/queues/api/queues`, { headers: { cookie: 'cp_admin_session=eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.forged' } });
    expect(forgedCookie.status).toBe(401);

    const page = await fetch(`${origin}/admin/queues`, { headers: { authorization: `Bearer ${admin}` } });
    expect(page.status).toBe(200);
    const pageText = await page.text();
    expect(pageText).toContain('<base href="/admin/queues/"');
    expect(pageText).toContain('__UI_CONFIG__');
    const asset = /src="(static\/js\/[^"]+\.js)"/.exec(pageText)![1];
    const js = await fetch(`${origin}/admin/queues/${asset}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);

    const api = await fetch(`${origin}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${admin}` } });
    expect(api.status).toBe(200);
    const queues = (await api.json()).queues.map((q: { name: string }) => q.name);
    for (const name of CITY_QUEUES) expect(queues.some((q: string) => q.endsWith(name))).toBe(true);
  });

  it('lets a city admin sign in once and browse with the session cookie', async () => {
    const signIn = await fetch(`${origin}/admin/queues/session`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: admin }).toString() });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(admin);
    const session = cookie.split(';')[0];
    const api = await fetch(`${origin}/admin/queues/api/queues`, { headers: { cookie: session } });
    expect(api.status).toBe(200);
    const resident = await city.token('RESIDENT');
    const refused = await fetch(`${origin}/admin/queues/session`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: resident }) });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('set-cookie')).toBeNull();
  });

  it('shows the queues kept in PostgreSQL too', async () => {
    const pg = await startAdminGateway(city, { kind: 'postgres', url: city.db.url, schema: 'bullmq' });
    try {
      const api = await fetch(`${originOf(pg.url)}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${admin}` } });
      expect(api.status).toBe(200);
      const queues = (await api.json()).queues.map((q: { name: string }) => q.name);
      expect(queues.length).toBe(CITY_QUEUES.length);
    } finally {
      await pg.close();
    }
  });
});

describe('a worker process without GraphQL', () => {
  it('answers /health, /ready and /metrics on its own port', async () => {
    const checks = { database: true, queues: true };
    const probe = await startProbeServer({ port: 0, host: '127.0.0.1', service: 'test-worker', ready: async () => ({ ...checks }) });
    try {
      const base = `http://127.0.0.1:${probe.port}`;
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      checks.queues = false;
      const notReady = await fetch(`${base}/ready`);
      expect(notReady.status).toBe(503);
      expect((await notReady.json()).checks.queues).toBe(false);
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('citypoints_job_duration_seconds');
    } finally {
      await probe.close();
    }
  });
});
