/**
 * The citypoints gateway as the gateway benchmark runs it: its own process, the supergraph the
 * bench composed, the subgraph URLs the bench started. Rate limiting is set out of the way (the
 * bench measures throughput, not the limiter's refusals). With BENCH_WORKERS=N (N > 1) the
 * process is a node:cluster primary with N gateway workers sharing the port, one per core; with
 * BENCH_SHARE_INFLIGHT=off identical in-flight subgraph queries are not shared.
 */
import cluster from 'node:cluster';
import fs from 'node:fs';
import { startGateway } from '@citypoints/gateway';

async function serve() {
  const server = await startGateway({
    supergraphSdl: fs.readFileSync(process.env.BENCH_SUPERGRAPH_FILE!, 'utf8'),
    serviceUrls: JSON.parse(process.env.BENCH_SERVICE_URLS!),
    port: Number(process.env.BENCH_PORT),
    jwtSecret: process.env.AUTH_JWT_SECRET!,
    subgraphSecret: process.env.GATEWAY_SUBGRAPH_SECRET!,
    shareInflightQueries: process.env.BENCH_SHARE_INFLIGHT !== 'off',
  });
  console.log(`citypoints gateway ready on ${server.url}`);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

async function main() {
  const workers = Number(process.env.BENCH_WORKERS ?? 1);
  if (workers > 1 && cluster.isPrimary) {
    for (let i = 0; i < workers; i++) cluster.fork();
    process.once('SIGTERM', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
      let left = workers;
      cluster.on('exit', () => --left === 0 && process.exit(0));
    });
    return;
  }
  await serve();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
