/**
 * The reference gateway of the gateway benchmark: Hive Gateway with its defaults over the same
 * supergraph and subgraphs, forwarding the signed caller the bench computes for each run (Hive
 * knows nothing of citypoints' tokens, so the client hands it the header the citypoints gateway
 * would have signed). Run by index.ts as its own process.
 */
import fs from 'node:fs';
import http from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { CALLER_HEADER } from '@citypoints/auth';

const supergraph = fs.readFileSync(process.env.BENCH_SUPERGRAPH_FILE!, 'utf8');
const gateway = createGatewayRuntime({
  supergraph,
  logging: false,
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ [CALLER_HEADER]: request.headers.get(CALLER_HEADER) ?? '' }),
  },
});
const server = http.createServer(gateway);
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1', () => console.log('hive gateway ready'));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
