import { env } from '@citypoints/config';
import { startGateway } from './gateway';
import { gatewayOptionsFromEnv } from './options';

/** The gateway process: the supergraph composed ahead of time (or introspected in development); subgraph URLs from configuration. */
async function main() {
  const server = await startGateway(gatewayOptionsFromEnv(env()));
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
