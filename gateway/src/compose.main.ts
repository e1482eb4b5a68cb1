import fs from 'node:fs';
import path from 'node:path';
import { EnvSchema } from '@citypoints/config';
import { CITY } from '../../infra/src/city';
import { composeSupergraph, sdlOf, SUPERGRAPH_PATH } from './compose';

/** The build step: composes every subgraph's SDL into gateway/supergraph.graphql, or fails. */
async function main() {
  // composing is a build step: it reads the subgraphs' ports, never a secret, so the secret checks do not apply
  const e = EnvSchema.parse(process.env);
  const sdls = await sdlOf(CITY, (m) => `http://${e.SUBGRAPH_HOST}:${e[m.portVariable]}/graphql`);
  fs.writeFileSync(SUPERGRAPH_PATH, composeSupergraph(sdls));
  console.log(`composed ${sdls.length} subgraphs into ${path.relative(process.cwd(), SUPERGRAPH_PATH)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
