/**
 * The citypoints gateway as the gateway benchmark runs it: its own process, the supergraph the
 * bench composed, the subgraph URLs the bench started. Rate limiting is set out of the way (the
 * bench measures throughput, not the limiter's refusals).
 */
import fs from 'node:fs';
import { startGateway } from '@citypoints/gateway';

async function main() {
  const server = await startGateway({
    supergraphSdl: fs.readFileSync(process.env.BENCH_SUPERGRAPH_FILE!, 'utf8'),
    serviceUrls: JSON.parse(process.env.BENCH_SERVICE_URLS!),
    port: Number(process.env.BENCH_PORT),
    jwtSecret: process.env.AUTH_JWT_SECRET!,
    subgraphSecret: process.env.GATEWAY_SUBGRAPH_SECRET!,
  });
  console.log(`citypoints gateway ready on ${server.url}`);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
