import fs from 'node:fs';
import path from 'node:path';
import { EnvSchema, subgraphUrls } from '@citypoints/config';
import { composeSupergraph, sdlOf, SUPERGRAPH_PATH } from '@citypoints/gateway';
import { logger } from '@citypoints/log';
import { CITY } from './src/city';

const log = logger('compose');

/** The build step: composes every subgraph's SDL into gateway/supergraph.graphql, or fails. */
async function main() {
  // composing is a build step: it reads where the subgraphs are, never a secret, so the secret checks do not apply
  const urls = subgraphUrls(EnvSchema.parse(process.env));
  const sdls = await sdlOf(CITY, (m) => urls[m.name as keyof typeof urls]);
  fs.writeFileSync(SUPERGRAPH_PATH, composeSupergraph(sdls));
  log.info(`composed ${sdls.length} subgraphs into ${path.relative(process.cwd(), SUPERGRAPH_PATH)}`);
}

main().catch((e) => {
  log.fatal({ err: e }, 'composition failed');
  process.exit(1);
});
