import http from 'node:http';
import { GraphQLError } from 'graphql';
import { decodeJwt } from 'jose';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { createBearerVerifier, CALLER_HEADER, type Caller } from '@citypoints/auth';
import { formatError, refuse, requestIdOf, runChecks, serveApollo, type RunningServer } from '@citypoints/federation';
import { unauthenticated } from '@citypoints/kit';
import { logger, metrics, serveMetrics, withClientSpan } from '@citypoints/log';
import { costPlugin, queryLimits } from './limits';
import { inputScalarsPlugin } from './input-scalars';
import type { RateLimitStore } from './rate-limit';
import { startAdminQueues, type AdminQueuesOptions } from './admin';
import { serveLookup } from './lookup/lookup.route';
import { ForwardedCallerSigner, InflightQueries, isQueryOperation, postJson, responseOf, subgraphAgent, type Exchange } from './subgraph-fetch';

const log = logger('gateway');

export interface GatewayContext {
  caller: Caller | null;
  requestId: string;
  /** the caller signed for the subgraphs, on the request's first fetch (the signature is reused across requests for a while) */
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
  /** identical subgraph queries in flight at once share one fetch (InflightQueries); true unless told */
  shareInflightQueries?: boolean;
  /** per-caller token buckets; without it nothing is rate limited */
  rateLimit?: RateLimitOptions;
  /** bull-board at /admin/queues for CITY_ADMIN; without it the path is 404 */
  adminQueues?: AdminQueuesOptions;
}

export const DEFAULT_GATEWAY_MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * Forwards the verified caller to subgraphs, signed with the secret only they share with us (one
 * signature per caller reused for a while, see ForwardedCallerSigner), over a keep-alive agent of
 * its own, sharing identical in-flight queries (InflightQueries), and gives up on a subgraph after
 * the timeout.
 */
interface SubgraphAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message?: string; path?: (string | number)[]; [k: string]: unknown }[];
  extensions?: Record<string, unknown>;
  http: ReturnType<typeof responseOf>;
}

interface EntityBatch {
  representations: unknown[];
  waiting: { offset: number; count: number; resolve: (a: SubgraphAnswer) => void; reject: (e: unknown) => void }[];
}

/** The part of a batched `_entities` answer that belongs to one fetch: its entities, and the errors about them (paths renumbered) or about no entity. */
export function sliceOfEntities<A extends { data?: Record<string, unknown> | null; errors?: { message?: string; path?: readonly (string | number)[] }[] }>(answer: A, offset: number, count: number): A {
  const entities = answer.data?._entities;
  const data = answer.data && Array.isArray(entities) ? { ...answer.data, _entities: entities.slice(offset, offset + count) } : answer.data;
  const errors = answer.errors
    ?.filter((e) => !(e.path?.[0] === '_entities' && typeof e.path[1] === 'number') || ((e.path[1] as number) >= offset && (e.path[1] as number) < offset + count))
    .map((e) => (e.path?.[0] === '_entities' && typeof e.path[1] === 'number' ? { ...e, path: ['_entities', (e.path[1] as number) - offset, ...e.path.slice(2)] } : e));
  return { ...answer, data, ...(answer.errors ? { errors: errors } : {}) };
}

class CallerForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly target: URL;
  /** entity fetches of one request being gathered into one call, per request context */
  private readonly entityBatches = new WeakMap<object, Map<string, EntityBatch>>();

  constructor(
    private readonly name: string,
    url: string,
    private readonly signer: ForwardedCallerSigner,
    private readonly timeoutMs: number,
    private readonly agent: http.Agent,
    private readonly inflight: InflightQueries,
  ) {
    super({ url });
    this.target = new URL(url);
  }

  /** One exchange with the subgraph, in a client span whose trace context travels in the headers, timed for /metrics. */
  private exchange(headers: Record<string, string>, body: string): Promise<Exchange> {
    const { name, timeoutMs } = this;
    const stop = metrics.subgraphFetch.startTimer({ subgraph: name });
    return withClientSpan(`subgraph ${name}`, { 'citypoints.subgraph': name }, async (trace, span) => {
      try {
        const x = await postJson(this.agent, this.target, { ...headers, ...trace }, body, timeoutMs);
        span.setAttribute('http.response.status_code', x.status);
        stop({ outcome: x.status >= 200 && x.status < 300 ? 'ok' : `http_${x.status}` });
        return x;
      } catch (e) {
        const timedOut = (e as Error).name === 'TimeoutError';
        stop({ outcome: timedOut ? 'timeout' : 'error' });
        if (timedOut) log.warn({ subgraph: name, timeoutMs }, 'subgraph fetch timed out');
        else log.warn({ subgraph: name, code: (e as { code?: string }).code }, 'subgraph fetch failed');
        // the client learns which service is missing (its other fields are answered), not how
        throw new GraphQLError(timedOut ? `subgraph ${name} did not answer within ${timeoutMs} ms` : `subgraph ${name} is unavailable`, {
          extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: name },
        });
      }
    });
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const ctx = (options.context ?? {}) as Partial<GatewayContext>;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = {};
    if (request.http?.headers) for (const [k, v] of request.http.headers) headers[k.toLowerCase()] = v;
    ctx.forwardedCaller ??= this.signer.sign(ctx.caller ?? null);
    headers[CALLER_HEADER] = await ctx.forwardedCaller;
    if (ctx.requestId) headers['x-request-id'] = ctx.requestId;
    if (ctx.clientAddress) headers['x-client-address'] = ctx.clientAddress;
    const representations = request.variables?.representations;
    const parsed =
      Array.isArray(representations) && isQueryOperation(request.query) && /\b_entities\s*\(/.test(request.query) && 'incomingRequestContext' in options
        ? await this.batchEntities(ctx, request, representations, headers)
        : await this.send(ctx, request, headers);
    // a subgraph's Cache-Control narrows the operation's cache policy, as RemoteGraphQLDataSource does
    const policy = 'incomingRequestContext' in options ? options.incomingRequestContext.overallCachePolicy : undefined;
    if (policy && 'restrict' in policy) policy.restrict(cacheHintOf(parsed.http.headers.get('cache-control')));
    return parsed as unknown as GatewayGraphQLResponse;
  }

  /**
   * Entity fetches of one request to this subgraph with the same operation, started in the same
   * turn of the event loop, go as one `_entities` call with all their representations. Apollo's
   * planner makes one fetch per root alias (50 aliased `resident(id:)` fields: 50 fetches per
   * subgraph, one representation each); the subgraph's loaders then answer them in one query.
   * Each fetch gets its slice of `_entities` and the errors of its slice, their paths renumbered.
   */
  private batchEntities(ctx: Partial<GatewayContext>, request: GraphQLDataSourceProcessOptions<GatewayContext>['request'], representations: unknown[], headers: Record<string, string>): Promise<SubgraphAnswer> {
    let byOperation = this.entityBatches.get(ctx);
    if (!byOperation) this.entityBatches.set(ctx, (byOperation = new Map()));
    const { representations: _r, ...otherVariables } = request.variables ?? {};
    const key = `${request.operationName ?? ''}\u0000${request.query}\u0000${JSON.stringify(otherVariables)}`;
    let batch = byOperation.get(key);
    if (!batch) {
      const b: EntityBatch = { representations: [], waiting: [] };
      batch = b;
      byOperation.set(key, b);
      setImmediate(() => {
        byOperation!.delete(key);
        this.send(ctx, { ...request, variables: { ...request.variables, representations: b.representations } }, headers).then(
          (answer) => {
            for (const w of b.waiting) w.resolve(sliceOfEntities(answer, w.offset, w.count));
          },
          (e) => {
            for (const w of b.waiting) w.reject(e);
          },
        );
      });
    }
    const offset = batch.representations.length;
    batch.representations.push(...representations);
    return new Promise<SubgraphAnswer>((resolve, reject) => batch!.waiting.push({ offset, count: representations.length, resolve, reject }));
  }

  /** One operation sent to the subgraph (or joined to an identical one in flight), its answer parsed. */
  private async send(ctx: Partial<GatewayContext>, request: GraphQLDataSourceProcessOptions<GatewayContext>['request'], headers: Record<string, string>): Promise<SubgraphAnswer> {
    // what RemoteGraphQLDataSource sends: the operation without its http part
    const { http: _http, ...operation } = request;
    const body = JSON.stringify(operation);
    const isQuery = isQueryOperation(request.query ?? '');
    const key = InflightQueries.keyOf({ subgraph: this.name, body, isQuery, caller: ctx.caller ?? null, clientAddress: ctx.clientAddress, requestId: ctx.requestId ?? '' });
    let x: Exchange;
    try {
      x = await this.inflight.run(key, () => this.exchange(headers, body));
    } finally {
      if (!isQuery) this.inflight.wrote();
    }
    const response = responseOf(this.url, x);
    if (!response.ok) throw await this.errorFromResponse(response as unknown as Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]);
    let parsed: unknown;
    try {
      parsed = JSON.parse(x.text);
    } catch {
      parsed = x.text;
    }
    if (!parsed || typeof parsed !== 'object') throw new Error(`Expected JSON response body, but received: ${x.text.slice(0, 200)}`);
    return { ...(parsed as object), http: response } as SubgraphAnswer;
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
}

/** The cache hint of a subgraph's Cache-Control header (no header: not cacheable). */
function cacheHintOf(header: string | null): { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' } {
  const hint: { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' } = { maxAge: 0 };
  if (!header) return hint;
  for (const part of header.trim().split(/\s*,\s*/)) {
    const [k, v] = part.split(/\s*=\s*/, 2);
    if (k === 'max-age' && v && /^[0-9]+$/.test(v.replace(/^"|"$/g, ''))) hint.maxAge = Number(v.replace(/^"|"$/g, ''));
    else if (k === 'private') hint.scope = 'PRIVATE';
    else if (k === 'public') hint.scope = 'PUBLIC';
  }
  return hint;
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

/**
 * Bearer tokens verified once: a token that verified stays verified until its `exp`, so the
 * caller it names is kept (at most `max` tokens, the oldest forgotten first) until then and at
 * most `ttlMs` (a key withdrawn from the JWKS stops being honoured within that). Refusals are
 * not kept.
 */
export function cachedVerifier(verify: (token: string) => Promise<Caller>, now: () => number = Date.now, max = 10_000, ttlMs = 60_000): (token: string) => Promise<Caller> {
  const verified = new Map<string, { caller: Caller; until: number }>();
  return async (token) => {
    const hit = verified.get(token);
    if (hit) {
      // a copy per request: nothing a request does to its caller reaches another
      if (now() < hit.until) return { ...hit.caller, roles: [...hit.caller.roles] };
      verified.delete(token);
    }
    const caller = await verify(token);
    const exp = decodeJwt(token).exp;
    if (typeof exp === 'number') {
      if (verified.size >= max) verified.delete(verified.keys().next().value as string);
      verified.set(token, { caller: { ...caller, roles: [...caller.roles] }, until: Math.min(exp * 1000, now() + ttlMs) });
    }
    return caller;
  };
}

export async function startGateway(o: GatewayOptions): Promise<RunningServer> {
  const verify = cachedVerifier(createBearerVerifier({ secret: o.jwtSecret, jwksUrl: o.jwksUrl, issuer: o.issuer, audience: o.audience }));
  const callerOf = callerResolver(verify);
  const urlOf = (name: string, url?: string) => o.serviceUrls[name] ?? url ?? '';
  const timeoutMs = o.subgraphTimeoutMs ?? 30_000;
  const maxCost = o.maxCost ?? 50_000;
  const signer = new ForwardedCallerSigner(o.subgraphSecret);
  const inflight = new InflightQueries(o.shareInflightQueries ?? true);
  const agents: http.Agent[] = [];
  // Apollo's gateway otherwise reports runtime metrics to Apollo's servers every few minutes and,
  // at construction, probes cloud metadata addresses to describe the host: a city gateway sends
  // nothing to a third party (set APOLLO_TELEMETRY_DISABLED=false explicitly to allow it)
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    ...(o.supergraphSdl
      ? { supergraphSdl: o.supergraphSdl }
      : { supergraphSdl: new IntrospectAndCompose({ subgraphs: Object.entries(o.serviceUrls).map(([name, url]) => ({ name, url })) }) }),
    buildService: ({ name, url }) => {
      const agent = subgraphAgent();
      agents.push(agent);
      return new CallerForwardingDataSource(name, urlOf(name, url), signer, timeoutMs, agent, inflight);
    },
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
      for (const a of agents) a.destroy();
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
