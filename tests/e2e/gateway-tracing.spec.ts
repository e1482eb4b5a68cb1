import { randomBytes } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { captureLogs, captureSpans } from '@citypoints/log';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { civic } from '@citypoints/civic';
import { volunteering } from '@citypoints/volunteering';
import { eventually, residentInput, startCity, TEST_JWT_SECRET, TEST_SUBGRAPH_SECRET, type TestCity } from '@citypoints/test-city';
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

describe('one trace from a registration into every consuming subgraph', () => {
  let city: TestCity;
  beforeAll(async () => {
    city = await startCity({ modules: [registry, settlement, civic, volunteering], workers: true, label: 'event_tracing' });
  });
  afterAll(() => city?.close());

  it('carries the request trace through the outbox and the queue: each consumer applies the event in a span of the same trace', async () => {
    const admin = await city.token('CITY_ADMIN');
    const traceId = randomBytes(16).toString('hex');
    const capture = captureSpans();
    try {
      const res = await fetch(city.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
        body: JSON.stringify({ query: 'mutation($input: RegisterResidentInput!) { registerResident(input: $input) { id } }', variables: { input: residentInput() } }),
      });
      const body = (await res.json()) as { data?: { registerResident: { id: string } }; errors?: unknown[] };
      expect(body.errors).toBeUndefined();
      const id = body.data!.registerResident.id;
      // the outbox row keeps the trace of the request that wrote it
      const [row] = await city.instances.registry.dataSource.query(`SELECT traceparent FROM registry.outbox WHERE aggregate_id = $1 AND topic = 'registry.resident.registered'`, [id]);
      expect(row.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

      const consumers = ['settlement', 'civic', 'volunteering'];
      const applied = await eventually(async () => {
        const spans = capture.spans().filter((s) => s.name === 'apply registry.resident.registered' && s.attributes['citypoints.event.outcome'] === 'applied');
        const mine = spans.filter((s) => s.spanContext().traceId === traceId);
        return consumers.every((c) => mine.some((s) => s.attributes['citypoints.consumer'] === c)) ? mine : null;
      }, 30_000);
      const spans = capture.spans();
      for (const c of consumers) {
        const apply = applied.find((s) => s.attributes['citypoints.consumer'] === c)!;
        // the applying sits in the job's consumer span, itself a child of (and linked to) the publishing request's span
        const job = spans.find((s) => s.spanContext().spanId === apply.parentSpanContext?.spanId)!;
        expect(job).toBeDefined();
        expect(job.kind).toBe(SpanKind.CONSUMER);
        expect(job.attributes['messaging.destination.name']).toBe(`events.${c}`);
        const producer = row.traceparent.split('-')[2];
        expect(job.parentSpanContext?.spanId).toBe(producer);
        expect(job.links.map((l) => l.context.spanId)).toContain(producer);
      }
      // and the consumers' projections hold the resident
      for (const c of consumers) {
        expect(await city.instances[c].dataSource.query(`SELECT 1 FROM "${c}".residents WHERE id = $1`, [id])).toHaveLength(1);
      }
    } finally {
      capture.stop();
    }
  });
});
