import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus registry: what `/metrics` answers on the gateway, every subgraph and
 * every worker. Metric families are made once here; the code that measures only observes.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'citypoints_' });

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const metrics = {
  gatewayRequests: new Counter({
    name: 'citypoints_gateway_requests_total',
    help: 'GraphQL operations answered by the gateway, by operation name and outcome',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [metricsRegistry],
  }),
  gatewayLatency: new Histogram({
    name: 'citypoints_gateway_request_duration_seconds',
    help: 'Time from receiving a GraphQL operation to its answer, by operation name',
    labelNames: ['operation', 'type'] as const,
    buckets: SECONDS,
    registers: [metricsRegistry],
  }),
  gatewayRefusals: new Counter({
    name: 'citypoints_gateway_refused_total',
    help: 'Requests refused before execution, by reason (body_too_large, rate_limited, …)',
    labelNames: ['reason'] as const,
    registers: [metricsRegistry],
  }),
  subgraphFetch: new Histogram({
    name: 'citypoints_subgraph_fetch_duration_seconds',
    help: 'Time of each gateway → subgraph fetch, by subgraph and outcome',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: SECONDS,
    registers: [metricsRegistry],
  }),
  subgraphRequests: new Histogram({
    name: 'citypoints_subgraph_request_duration_seconds',
    help: 'Time a subgraph took to answer a request from the gateway',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: SECONDS,
    registers: [metricsRegistry],
  }),
  jobDuration: new Histogram({
    name: 'citypoints_job_duration_seconds',
    help: 'Processing time of BullMQ jobs, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
    registers: [metricsRegistry],
  }),
  jobFailures: new Counter({
    name: 'citypoints_job_failures_total',
    help: 'BullMQ job attempts that failed, by queue',
    labelNames: ['queue'] as const,
    registers: [metricsRegistry],
  }),
};

/** Gauges whose values are read when scraped (pools, queues, outboxes) register a reader here. */
export type GaugeReader = (set: (labels: Record<string, string>, value: number) => void) => Promise<void> | void;

const readers = new Map<string, Set<GaugeReader>>();

function scrapedGauge(name: string, help: string, labelNames: string[]) {
  const set = new Set<GaugeReader>();
  readers.set(name, set);
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [metricsRegistry],
    async collect() {
      this.reset();
      await Promise.all(
        [...set].map(async (read) => {
          try {
            await read((labels, value) => this.set(labels, value));
          } catch {
            // a pool or queue being closed: it simply has no value this scrape
          }
        }),
      );
    },
  });
}

export const scraped = {
  pool: scrapedGauge('citypoints_db_pool_connections', 'Connections of each database pool, by schema and state (total, idle, waiting)', ['schema', 'state']),
  queue: scrapedGauge('citypoints_queue_jobs', 'Jobs in each BullMQ queue, by state (waiting, active, delayed, failed, …)', ['queue', 'state']),
  outboxLag: scrapedGauge('citypoints_outbox_lag_seconds', 'Age of the oldest event not yet relayed from each subgraph’s outbox (0 when none)', ['schema']),
};

/** Adds a reader to a scraped gauge; returns its removal. */
export function addGaugeReader(gauge: keyof typeof scraped, read: GaugeReader): () => void {
  const name = { pool: 'citypoints_db_pool_connections', queue: 'citypoints_queue_jobs', outboxLag: 'citypoints_outbox_lag_seconds' }[gauge];
  const set = readers.get(name)!;
  set.add(read);
  return () => set.delete(read);
}

/** Answers GET /metrics with the Prometheus text of this process; false for any other path. */
export async function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
  if ((req.url ?? '').split('?')[0] !== '/metrics') return false;
  const body = await metricsRegistry.metrics();
  res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(body);
  return true;
}

export interface ProbeServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The tiny HTTP server of a process that serves no GraphQL (a worker): /health (alive), /ready
 * (the given check) and /metrics.
 */
export async function startProbeServer(o: { port: number; host?: string; service: string; ready: () => Promise<Record<string, boolean>> }): Promise<ProbeServer> {
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    try {
      if (path === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', service: o.service }));
      } else if (path === '/ready') {
        const checks = await o.ready().catch(() => ({ ready: false }));
        const ok = Object.values(checks).every(Boolean);
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'not ready', service: o.service, checks }));
      } else if (!(await serveMetrics(req, res))) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      }
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
