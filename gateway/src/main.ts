import { env } from '@citypoints/config';
import { initTracing, logger, shutdownTracing } from '@citypoints/log';
import { startGateway } from './gateway';
import { gatewayOptionsFromEnv } from './options';

const log = logger('gateway');

/** The gateway process: the supergraph composed ahead of time (or introspected in development); subgraph URLs from configuration. */
async function main() {
  initTracing('gateway');
  const server = await startGateway(await gatewayOptionsFromEnv(env()));
  log.info(`gateway listening on http://localhost:${server.port}/graphql`);
  const stop = async () => {
    await server.close();
    await shutdownTracing();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e) => {
  log.fatal({ err: e }, 'gateway failed to start');
  process.exit(1);
});
