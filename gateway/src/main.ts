import fs from 'node:fs';
import { env, subgraphSecret } from '@citypoints/config';
import { CITY } from '../../infra/src/city';
import { startGateway } from './gateway';
import { SUPERGRAPH_PATH } from './compose';

/** The gateway process: the supergraph composed ahead of time (or introspected in development). */
async function main() {
  const e = env();
  const serviceUrls = Object.fromEntries(CITY.map((m) => [m.name, `http://${e.SUBGRAPH_HOST}:${e[m.portVariable]}/graphql`]));
  const supergraphSdl = e.GATEWAY_SUPERGRAPH === 'file' ? fs.readFileSync(SUPERGRAPH_PATH, 'utf8') : undefined;
  const server = await startGateway({
    supergraphSdl,
    serviceUrls,
    port: e.GATEWAY_PORT,
    host: '0.0.0.0',
    jwtSecret: e.AUTH_JWT_SECRET,
    jwksUrl: e.AUTH_JWKS_URL,
    issuer: e.AUTH_ISSUER,
    audience: e.AUTH_AUDIENCE,
    subgraphSecret: subgraphSecret(e),
    maxDepth: e.GATEWAY_MAX_DEPTH,
    maxCost: e.GATEWAY_MAX_COST,
  });
  console.log(`gateway listening on http://localhost:${server.port}/graphql`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e) => {
  console.error('gateway failed to start:', e);
  process.exit(1);
});
