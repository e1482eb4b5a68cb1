import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { createBearerVerifier, signForwardedCaller, CALLER_HEADER, type Caller } from '@citypoints/auth';
import { formatError, serveApollo, type RunningServer } from '@citypoints/federation';
import { unauthenticated } from '@citypoints/kit';
import { queryLimits } from './limits';
import { serveLookup } from './lookup/lookup.route';

export interface GatewayContext {
  caller: Caller | null;
  requestId: string;
  /** the address the request came from; public operations limit attempts per address */
  clientAddress?: string;
}

export interface GatewayOptions {
  /** a supergraph composed ahead of time; without it the gateway introspects the subgraphs */
  supergraphSdl?: string;
  /** subgraph name → URL; overrides the URLs written in the supergraph */
  serviceUrls: Record<string, string>;
  port: number;
  host?: string;
  jwtSecret: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  subgraphSecret: string;
  maxDepth?: number;
  maxCost?: number;
}

/** Forwards the verified caller to subgraphs, signed with the secret only they share with us. */
class CallerForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    url: string,
    private readonly secret: string,
  ) {
    // Node's own fetch (undici) honours the subgraph's Keep-Alive timeout hint and retires idle
    // sockets before the server closes them; the default fetcher reused sockets the subgraph was
    // closing, and a request then failed with ECONNRESET under bursts.
    super({ url, fetcher: fetch as unknown as RemoteGraphQLDataSource['fetcher'] });
  }

  async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const ctx = context as Partial<GatewayContext>;
    request.http?.headers.set(CALLER_HEADER, await signForwardedCaller(this.secret, ctx.caller ?? null));
    if (ctx.requestId) request.http?.headers.set('x-request-id', ctx.requestId);
    if (ctx.clientAddress) request.http?.headers.set('x-client-address', ctx.clientAddress);
  }
}

export async function startGateway(o: GatewayOptions): Promise<RunningServer> {
  const verify = createBearerVerifier({ secret: o.jwtSecret, jwksUrl: o.jwksUrl, issuer: o.issuer, audience: o.audience });
  const urlOf = (name: string, url?: string) => o.serviceUrls[name] ?? url ?? '';
  const gateway = new ApolloGateway({
    ...(o.supergraphSdl
      ? { supergraphSdl: o.supergraphSdl }
      : { supergraphSdl: new IntrospectAndCompose({ subgraphs: Object.entries(o.serviceUrls).map(([name, url]) => ({ name, url })) }) }),
    buildService: ({ name, url }) => new CallerForwardingDataSource(urlOf(name, url), o.subgraphSecret),
  });
  const server = new ApolloServer<GatewayContext>({
    gateway,
    formatError,
    includeStacktraceInErrorResponses: false,
    validationRules: [queryLimits(o.maxDepth ?? 12, o.maxCost ?? 50_000)],
  });
  return serveApollo({
    server,
    port: o.port,
    host: o.host,
    async context(req) {
      const header = req.headers.authorization;
      let caller: Caller | null = null;
      if (header) {
        const m = /^Bearer\s+(.+)$/i.exec(header);
        if (!m) throw unauthenticated('Authorization must be "Bearer <token>"');
        // the audit purpose is the token's `purpose` claim; no request header can set or change it
        caller = await verify(m[1].trim());
      }
      return { caller, requestId: (req.headers['x-request-id'] as string) || randomUUID(), clientAddress: req.socket.remoteAddress };
    },
    async extra(req, res) {
      if (serveLookup(req, res)) return true;
      const path = (req.url ?? '').split('?')[0];
      if (path === '/health' || path === '/ready') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', service: 'gateway' }));
        return true;
      }
      return false;
    },
  });
}
