import type http from 'node:http';
import { GraphQLError } from 'graphql';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { createBearerVerifier, signForwardedCaller, CALLER_HEADER, type Caller } from '@citypoints/auth';
import { formatError, refuse, requestIdOf, runChecks, serveApollo, type RunningServer } from '@citypoints/federation';
import { unauthenticated } from '@citypoints/kit';
import { logger, metrics, serveMetrics, withClientSpan } from '@citypoints/log';
import { costPlugin, queryLimits } from './limits';
import { inputScalarsPlugin } from './input-scalars';
import type { RateLimitStore } from './rate-limit';
import { startAdminQueues, type AdminQueuesOptions } from './admin';
import { serveLookup } from './lookup/lookup.route';

const log = logger('gateway');

export interface GatewayContext {
  caller: Caller | null;
  requestId: string;
  /** the caller signed for the subgraphs, once per request, on the first fetch */
  forwardedCaller?: Promise<string>;
  /** the address the request came from; public operations limit attempts per address */
  clientAddress?: string;
}

export interface RateLimitOptions {
  store: RateLimitStore;
  /** sustained requests per second of one caller */
  perSecond: number;
  /** the most requests one caller may send at once */
  burst: number;
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
  /** at most this many root fields (aliases included) per operation; 100 unless told */
  maxRootFields?: number;
  /** bodies over this are refused with 413 before they are parsed; 2 MiB unless told */
  maxBodyBytes?: number;
  /** every subgraph fetch is aborted after this long; 30 s unless told */
  subgraphTimeoutMs?: number;
  /** per-caller token buckets; without it nothing is rate limited */
  rateLimit?: RateLimitOptions;
  /** bull-board at /admin/queues for CITY_ADMIN; without it the path is 404 */
  adminQueues?: AdminQueuesOptions;
}

export const DEFAULT_GATEWAY_MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * Forwards the verified caller to subgraphs, signed with the secret only they share with us (one
 * signature per request, shared by its fetches), and gives up on a subgraph after the timeout.
 */
class CallerForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly name: string,
    url: string,
    private readonly secret: string,
    timeoutMs: number,
  ) {
    // Node's own fetch (undici) honours the subgraph's Keep-Alive timeout hint and retires idle
    // sockets before the server closes them; the default fetcher reused sockets the subgraph was
    // closing, and a request then failed with ECONNRESET under bursts.
    const fetcher = async (input: string | URL, init?: RequestInit) => {
      const stop = metrics.subgraphFetch.startTimer({ subgraph: name });
      // a client span per fetch; its trace context travels in the request's headers
      return withClientSpan(`subgraph ${name}`, { 'citypoints.subgraph': name }, async (trace, span) => {
        try {
          const headers = { ...(init?.headers as Record<string, string> | undefined), ...trace };
          const res = await fetch(input, { ...init, headers, signal: AbortSignal.timeout(timeoutMs) });
          span.setAttribute('http.response.status_code', res.status);
          stop({ outcome: res.ok ? 'ok' : `http_${res.status}` });
          return res;
        } catch (e) {
          const timedOut = (e as Error).name === 'TimeoutError';
          stop({ outcome: timedOut ? 'timeout' : 'error' });
          if (timedOut) log.warn({ subgraph: name, timeoutMs }, 'subgraph fetch timed out');
          // the client learns which service is missing (its other fields are answered), not how
          throw new GraphQLError(timedOut ? `subgraph ${name} did not answer within ${timeoutMs} ms` : `subgraph ${name} is unavailable`, {
            extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: name },
          });
        }
      });
    };
    super({ url, fetcher: fetcher as unknown as RemoteGraphQLDataSource['fetcher'] });
  }

  /**
   * A subgraph's refusal (HTTP 4xx with GraphQL errors) keeps its code from the contract; what is
   * left of the subgraph's response (its URL, its body) is not passed on to the client.
   */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]) {
    const body = (await this.parseBody(response).catch(() => null)) as { errors?: { message?: string; extensions?: { code?: unknown } }[] } | null;
    const first = body && typeof body === 'object' && Array.isArray(body.errors) ? body.errors[0] : undefined;
    const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : undefined;
    if (response.status === 401) return new GraphQLError('the gateway could not vouch for the caller', { extensions: { code: 'UNAUTHENTICATED' } });
    if (response.status === 400 || response.status === 413 || code === 'BAD_USER_INPUT') {
      // the gateway validated the operation against the same schema; what a subgraph still
      // refuses at validation is a value (a scalar it parses), which is the caller's input
      return new GraphQLError(first?.message ?? 'invalid input', { extensions: { code: code === 'BAD_USER_INPUT' || code === 'GRAPHQL_VALIDATION_FAILED' || !code ? 'BAD_USER_INPUT' : code } });
    }
    log.warn({ subgraph: this.name, status: response.status }, 'subgraph answered with an HTTP error');
    return new GraphQLError(`subgraph ${this.name} failed`, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  }

  async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const ctx = context as Partial<GatewayContext>;
    ctx.forwardedCaller ??= signForwardedCaller(this.secret, ctx.caller ?? null);
    request.http?.headers.set(CALLER_HEADER, await ctx.forwardedCaller);
    if (ctx.requestId) request.http?.headers.set('x-request-id', ctx.requestId);
    if (ctx.clientAddress) request.http?.headers.set('x-client-address', ctx.clientAddress);
  }
}

/** Request counts and latency per operation name (names a client made up are capped). */
function operationMetrics(): ApolloServerPlugin<GatewayContext> {
  const seen = new Set<string>();
  const label = (name: string | null | undefined) => {
    if (!name) return 'anonymous';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return 'other';
    if (!seen.has(name) && seen.size >= 500) return 'other';
    seen.add(name);
    return name;
  };
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse(rc) {
          const operation = label(rc.operationName ?? rc.operation?.name?.value);
          const type = rc.operation?.operation ?? 'unknown';
          const errors = rc.response.body.kind === 'single' ? rc.response.body.singleResult.errors : undefined;
          const code = errors?.length ? String(errors[0].extensions?.code ?? 'ERROR') : 'OK';
          metrics.gatewayRequests.inc({ operation, type, outcome: code });
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          metrics.gatewayLatency.observe({ operation, type }, seconds);
          log.debug({ operation, type, outcome: code, ms: Math.round(seconds * 1000) }, 'operation answered');
        },
      };
    },
  };
}

/** The bearer token of a request, verified once (rate limiting and the context both need it). */
function callerResolver(verify: (token: string) => Promise<Caller>) {
  const verified = new WeakMap<http.IncomingMessage, Promise<Caller | null>>();
  return (req: http.IncomingMessage): Promise<Caller | null> => {
    let p = verified.get(req);
    if (!p) {
      const header = req.headers.authorization;
      if (!header) p = Promise.resolve(null);
      else {
        const m = /^Bearer\s+(.+)$/i.exec(header);
        // the audit purpose is the token's `purpose` claim; no request header can set or change it
        p = m ? verify(m[1].trim()) : Promise.reject(unauthenticated('Authorization must be "Bearer <token>"'));
      }
      p.catch(() => undefined);
      verified.set(req, p);
    }
    return p;
  };
}

export async function startGateway(o: GatewayOptions): Promise<RunningServer> {
  const verify = createBearerVerifier({ secret: o.jwtSecret, jwksUrl: o.jwksUrl, issuer: o.issuer, audience: o.audience });
  const callerOf = callerResolver(verify);
  const urlOf = (name: string, url?: string) => o.serviceUrls[name] ?? url ?? '';
  const timeoutMs = o.subgraphTimeoutMs ?? 30_000;
  const maxCost = o.maxCost ?? 50_000;
  const gateway = new ApolloGateway({
    ...(o.supergraphSdl
      ? { supergraphSdl: o.supergraphSdl }
      : { supergraphSdl: new IntrospectAndCompose({ subgraphs: Object.entries(o.serviceUrls).map(([name, url]) => ({ name, url })) }) }),
    buildService: ({ name, url }) => new CallerForwardingDataSource(name, urlOf(name, url), o.subgraphSecret, timeoutMs),
  });
  const server = new ApolloServer<GatewayContext>({
    gateway,
    formatError,
    includeStacktraceInErrorResponses: false,
    // the process that hosts the gateway stops it in order; Apollo's own handler would re-raise SIGINT/SIGTERM mid-shutdown
    stopOnTerminationSignals: false,
    validationRules: [queryLimits(o.maxDepth ?? 12, maxCost, 50, o.maxRootFields ?? 100)],
    plugins: [inputScalarsPlugin<GatewayContext>(), costPlugin<GatewayContext>(maxCost), operationMetrics()],
  });
  const admin = o.adminQueues ? await startAdminQueues(o.adminQueues, callerOf) : null;
  const subgraphHealth = Object.fromEntries(
    Object.entries(o.serviceUrls).map(([name, url]) => [`subgraph:${name}`, () => reachable(url.replace(/\/graphql\/?$/, '') + '/health')]),
  );

  const running = await serveApollo({
    server,
    port: o.port,
    host: o.host,
    maxBodyBytes: o.maxBodyBytes ?? DEFAULT_GATEWAY_MAX_BODY_BYTES,
    async context(req) {
      const caller = await callerOf(req);
      return { caller, requestId: requestIdOf(req), clientAddress: req.socket.remoteAddress };
    },
    async extra(req, res) {
      if (serveLookup(req, res)) return true;
      const path = (req.url ?? '').split('?')[0];
      if (path === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', service: 'gateway' }));
        return true;
      }
      if (path === '/ready') {
        const checks = await runChecks({
          ...subgraphHealth,
          ...(o.rateLimit ? { [`rateLimit:${o.rateLimit.store.kind}`]: () => o.rateLimit!.store.ping() } : {}),
          ...(admin ? { queues: () => admin.ping() } : {}),
        });
        const ok = Object.values(checks).every(Boolean);
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'not ready', service: 'gateway', checks }));
        return true;
      }
      if (path === '/metrics') return serveMetrics(req, res);
      if (path === '/admin/queues' || path.startsWith('/admin/queues/')) {
        if (!admin) return false;
        await admin.handle(req, res);
        return true;
      }
      if (path === '/graphql' && o.rateLimit) return rateLimited(req, res, o.rateLimit, callerOf);
      return false;
    },
  });
  return {
    ...running,
    async close() {
      await running.close();
      await admin?.close();
    },
  };
}

/** True when a GET of `url` answers 2xx within 2 s. */
async function reachable(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await r.arrayBuffer().catch(() => undefined);
    return r.ok;
  } catch {
    return false;
  }
}

/**
 * The per-caller limit, before the body is read: one bucket per token subject, or per address for
 * callers without a (valid) token. Over it: 429 RATE_LIMITED with Retry-After in seconds. When
 * the store cannot be reached the request passes (and a warning is logged): a Redis outage must
 * not take the city down.
 */
async function rateLimited(req: http.IncomingMessage, res: http.ServerResponse, rl: RateLimitOptions, callerOf: (req: http.IncomingMessage) => Promise<Caller | null>): Promise<boolean> {
  const caller = await callerOf(req).catch(() => null);
  const key = caller ? `sub:${caller.sub}` : `addr:${req.socket.remoteAddress ?? 'unknown'}`;
  let take;
  try {
    take = await rl.store.take(key, rl.perSecond, rl.burst);
  } catch (e) {
    log.warn({ err: e, store: rl.store.kind }, 'rate limit store unavailable; request let through');
    return false;
  }
  if (take.allowed) return false;
  metrics.gatewayRefusals.inc({ reason: 'rate_limited' });
  const seconds = Math.max(1, Math.ceil(take.retryAfterMs / 1000));
  refuse(res, 429, 'RATE_LIMITED', `too many requests; retry after ${seconds} s`, { 'retry-after': String(seconds) });
  req.resume();
  return true;
}
