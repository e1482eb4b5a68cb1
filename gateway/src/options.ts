import fs from 'node:fs';
import { subgraphSecret, subgraphUrls, type Env } from '@citypoints/config';
import { SUPERGRAPH_PATH } from './compose';
import type { GatewayOptions } from './gateway';

/**
 * The gateway's options from the environment — subgraph URLs from configuration, never from
 * subgraph code — shared by the gateway process and the one-process city.
 */
export function gatewayOptionsFromEnv(e: Env, o: { supergraphSdl?: string; host?: string } = {}): GatewayOptions {
  const supergraphSdl = o.supergraphSdl ?? (e.GATEWAY_SUPERGRAPH === 'file' ? fs.readFileSync(SUPERGRAPH_PATH, 'utf8') : undefined);
  return {
    supergraphSdl,
    serviceUrls: subgraphUrls(e),
    port: e.GATEWAY_PORT,
    host: o.host ?? '0.0.0.0',
    jwtSecret: e.AUTH_JWT_SECRET,
    jwksUrl: e.AUTH_JWKS_URL,
    issuer: e.AUTH_ISSUER,
    audience: e.AUTH_AUDIENCE,
    subgraphSecret: subgraphSecret(e),
    maxDepth: e.GATEWAY_MAX_DEPTH,
    maxCost: e.GATEWAY_MAX_COST,
  };
}
