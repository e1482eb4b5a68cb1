import { randomBytes } from 'node:crypto';
import { captureLogs } from '@citypoints/log';
import { registry } from '@citypoints/registry';
import { startCity, TEST_JWT_SECRET, TEST_SUBGRAPH_SECRET, type TestCity } from '@citypoints/test-city';
import { gauge } from './gateway-fixture';

describe('one trace from the gateway through the subgraphs', () => {
  let city: TestCity;
  beforeAll(async () => {
    city = await startCity({ modules: [registry, gauge], label: 'gateway_tracing' });
  });
  afterAll(() => city?.close());

  it('continues the caller traceparent into the subgraph, and every log line of the request carries its trace and request ids', async () => {
    const admin = await city.token('CITY_ADMIN');
    const traceId = randomBytes(16).toString('hex');
    const capture = captureLogs({ level: 'debug', secrets: [TEST_JWT_SECRET, TEST_SUBGRAPH_SECRET] });
    let requestId: string | null;
    try {
      const res = await fetch(city.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, 'x-request-id': 'trace-test-1' },
        body: JSON.stringify({ query: 'mutation { gaugeFailingSql(idNumber: "x", name: "y") }' }),
      });
      requestId = res.headers.get('x-request-id');
      expect((await res.json()).errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      capture.stop();
    }
    expect(requestId).toBe('trace-test-1');
    const lines = capture.lines().map((l) => JSON.parse(l) as Record<string, string>);
    // the subgraph's failed statement and its internal error, logged in the subgraph's server
    const sql = lines.find((l) => l.msg?.startsWith('query failed'));
    const internal = lines.filter((l) => l.msg === 'internal error');
    expect(sql).toMatchObject({ traceId, requestId: 'trace-test-1', component: 'db:gauge' });
    expect(internal.length).toBeGreaterThanOrEqual(1);
    for (const l of internal) expect(l).toMatchObject({ traceId, requestId: 'trace-test-1' });
    // the subgraph's span is a child of the gateway's fetch span, not the caller's span
    const spans = new Set(lines.filter((l) => l.traceId === traceId).map((l) => l.spanId));
    expect(spans.size).toBeGreaterThanOrEqual(2);
  });
});
