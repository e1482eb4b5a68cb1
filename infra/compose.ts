import fs from 'node:fs';
import path from 'node:path';
import { env, subgraphUrls } from '@citypoints/config';
import { composeSupergraph, sdlOf, SUPERGRAPH_PATH } from '@citypoints/gateway';
import { CITY } from './src/city';

/** The build step: composes every subgraph's SDL into gateway/supergraph.graphql, or fails. */
async function main() {
  const urls = subgraphUrls(env());
  const sdls = await sdlOf(CITY, (m) => urls[m.name as keyof typeof urls]);
  fs.writeFileSync(SUPERGRAPH_PATH, composeSupergraph(sdls));
  console.log(`composed ${sdls.length} subgraphs into ${path.relative(process.cwd(), SUPERGRAPH_PATH)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
