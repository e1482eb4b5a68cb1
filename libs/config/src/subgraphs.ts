import type { Env } from './index';

/** The city's subgraphs by name, in start order (registry first: the others extend its entities). */
export const SUBGRAPHS = [
  { name: 'registry', portVariable: 'REGISTRY_PORT', urlVariable: 'REGISTRY_URL' },
  { name: 'settlement', portVariable: 'SETTLEMENT_PORT', urlVariable: 'SETTLEMENT_URL' },
  { name: 'civic', portVariable: 'CIVIC_PORT', urlVariable: 'CIVIC_URL' },
  { name: 'enterprise-credit', portVariable: 'ENTERPRISE_CREDIT_PORT', urlVariable: 'ENTERPRISE_CREDIT_URL' },
  { name: 'social-organisations', portVariable: 'SOCIAL_ORGANISATIONS_PORT', urlVariable: 'SOCIAL_ORGANISATIONS_URL' },
  { name: 'volunteering', portVariable: 'VOLUNTEERING_PORT', urlVariable: 'VOLUNTEERING_URL' },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

/**
 * Where the gateway finds each subgraph: `SUBGRAPH_URLS` (`name=url,…`) first, then the
 * subgraph's own `<NAME>_URL`, else `http://SUBGRAPH_HOST:<NAME>_PORT/graphql`. Throws naming the
 * variable when a URL is malformed or names a subgraph the city does not have.
 */
export function subgraphUrls(e: Env, source: Record<string, string | undefined> = process.env): Record<SubgraphName, string> {
  const listed: Record<string, string> = {};
  for (const pair of (source.SUBGRAPH_URLS ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    const name = at > 0 ? pair.slice(0, at).trim() : '';
    if (!SUBGRAPHS.some((s) => s.name === name)) throw new Error(`invalid environment:\n  SUBGRAPH_URLS: "${pair}" is not name=url for one of ${SUBGRAPHS.map((s) => s.name).join(', ')}`);
    listed[name] = checkedUrl('SUBGRAPH_URLS', pair.slice(at + 1).trim());
  }
  const out = {} as Record<SubgraphName, string>;
  for (const s of SUBGRAPHS) {
    const own = source[s.urlVariable]?.trim();
    out[s.name] = listed[s.name] ?? (own ? checkedUrl(s.urlVariable, own) : `http://${e.SUBGRAPH_HOST}:${e[s.portVariable]}/graphql`);
  }
  return out;
}

function checkedUrl(variable: string, value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol === 'http:' || u.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  throw new Error(`invalid environment:\n  ${variable}: "${value}" is not an http(s) URL`);
}
