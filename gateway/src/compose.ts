import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';
import type { SubgraphModule } from '@citypoints/federation';

export interface SubgraphSdl {
  name: string;
  sdl: string;
  url: string;
}

/** Composes the supergraph; a composition error throws with every message. */
export function composeSupergraph(subgraphs: SubgraphSdl[]): string {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, typeDefs: parse(s.sdl), url: s.url })));
  if (result.errors?.length || !result.supergraphSdl) {
    throw new Error('supergraph composition failed:\n' + (result.errors ?? []).map((e) => '  ' + e.message).join('\n'));
  }
  return result.supergraphSdl;
}

export async function sdlOf(modules: SubgraphModule[], urlOf: (m: SubgraphModule) => string): Promise<SubgraphSdl[]> {
  const out: SubgraphSdl[] = [];
  for (const m of modules) out.push({ name: m.name, sdl: (await m.buildSchema()).sdl, url: urlOf(m) });
  return out;
}

/** The repository's gateway/ folder, whether this runs from the sources or from their build in dist/. */
const GATEWAY_DIR = (() => {
  const at = __dirname.lastIndexOf(`${path.sep}dist${path.sep}`);
  return at >= 0 ? path.join(__dirname.slice(0, at), 'gateway') : path.join(__dirname, '..');
})();

/** gateway/supergraph.graphql: what `npm run compose` writes and the gateway reads with GATEWAY_SUPERGRAPH=file */
export const SUPERGRAPH_PATH = process.env.SUPERGRAPH_PATH ?? path.join(GATEWAY_DIR, 'supergraph.graphql');
