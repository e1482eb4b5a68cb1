import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { toGraphQLError, DomainError } from '@citypoints/kit';
import { decodeJwt } from 'jose';
import { verifyForwardedCaller, CALLER_HEADER, type Caller } from '@citypoints/auth';
import { initTracing, logger, metrics, serveMetrics, withLogContext, withServerSpan } from '@citypoints/log';
import type { SubgraphContext } from './context';

const log = logger('graphql');

/** How long a server keeps an idle keep-alive connection: longer than any client in the city keeps an idle socket. */
export const SERVER_KEEP_ALIVE_MS = 65_000;

/** Default largest request body of a subgraph (the gateway has its own, smaller, limit). */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

const requestIds = new WeakMap<http.IncomingMessage, string>();

/** The id of a request: the caller's `x-request-id` when it is a plain token, else a new UUID. */
export function requestIdOf(req: http.IncomingMessage): string {
  let id = requestIds.get(req);
  if (!id) {
    const given = req.headers['x-request-id'];
    id = typeof given === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(given) ? given : randomUUID();
    requestIds.set(req, id);
  }
  return id;
}

/** Answers a request with a GraphQL-shaped error and an HTTP status (413, 429, …). */
export function refuse(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/**
 * Refuses a body over the limit with 413 before reading it. The rest of what the client sends is
 * discarded unread (up to a bound, so its response arrives), and the connection is closed.
 */
function refuseTooLarge(req: http.IncomingMessage, res: http.ServerResponse, maxBody: number): void {
  metrics.gatewayRefusals.inc({ reason: 'body_too_large' });
  refuse(res, 413, 'PAYLOAD_TOO_LARGE', `request body larger than ${maxBody} bytes`, { connection: 'close' });
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > 64 * 1024 * 1024) req.destroy();
  });
  req.resume();
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Maps every error through the one mapping of domain codes to GraphQL extensions. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const mapped = toGraphQLError(error);
  const code = mapped.extensions.code;
  if (code === 'INTERNAL_SERVER_ERROR' && !(error instanceof DomainError)) {
    const original = (error as { originalError?: unknown }).originalError ?? error;
    log.error({ err: original, path: formatted.path }, 'internal error');
  }
  if (code === 'SERVICE_UNAVAILABLE' && !(error instanceof DomainError)) {
    const original = (error as { originalError?: unknown }).originalError ?? error;
    log.warn({ code: (original as { code?: unknown }).code, path: formatted.path }, 'database unavailable');
  }
  if (code === 'GRAPHQL_VALIDATION_FAILED' || formatted.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' || formatted.extensions?.code === 'BAD_USER_INPUT' && code === 'INTERNAL_SERVER_ERROR') {
    return formatted;
  }
  return { ...formatted, message: mapped.message, extensions: { ...mapped.extensions } };
}

/** Serves an ApolloServer over node:http: POST/GET /graphql, and whatever `extra` routes answer. */
export async function serveApollo<C extends object>(opts: {
  server: ApolloServer<C>;
  port: number;
  host?: string;
  context: (req: http.IncomingMessage) => Promise<C>;
  extra?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
  maxBodyBytes?: number;
}): Promise<RunningServer> {
  initTracing();
  await opts.server.start();
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const httpServer = http.createServer((req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    void withLogContext({ requestId }, () => withServerSpan(`${req.method ?? 'GET'} ${(req.url ?? '').split('?')[0]}`, req, res, () => handle(req, res)));
  });
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    try {
      if (opts.extra && (await opts.extra(req, res))) return;
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/graphql') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBody) {
        refuseTooLarge(req, res, maxBody);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > maxBody) {
          refuseTooLarge(req, res, maxBody);
          return;
        }
        chunks.push(chunk as Buffer);
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      let body: unknown = undefined;
      if (req.method === 'POST') {
        try {
          body = raw ? JSON.parse(raw) : {};
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'body is not JSON', extensions: { code: 'BAD_REQUEST' } }] }));
          return;
        }
      }
      const result = await opts.server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: () => opts.context(req),
      });
      const outHeaders: Record<string, string> = {};
      for (const [k, v] of result.headers) outHeaders[k] = v;
      res.writeHead(result.status ?? 200, outHeaders);
      if (result.body.kind === 'complete') res.end(result.body.string);
      else {
        for await (const part of result.body.asyncIterator) res.write(part);
        res.end();
      }
    } catch (e) {
      if (!res.headersSent) {
        const err = toGraphQLError(e);
        const status = err.extensions.code === 'UNAUTHENTICATED' ? 401 : 500;
        if (status === 500) log.error({ err: e }, 'request failed');
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: err.message, extensions: err.extensions }] }));
      } else res.end();
    }
  };
  // an idle connection is kept longer than the gateway keeps an idle socket (30 s), so the
  // gateway never sends a request on a connection the server is closing ("other side closed")
  httpServer.keepAliveTimeout = SERVER_KEEP_ALIVE_MS;
  httpServer.headersTimeout = SERVER_KEEP_ALIVE_MS + 1_000;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/graphql`,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
      await opts.server.stop();
    },
  };
}

export interface SubgraphServerOptions {
  name: string;
  schema: GraphQLSchema;
  port: number;
  host?: string;
  /** the secret the gateway signs forwarded callers with */
  subgraphSecret: string;
  /** answers /ready: true when the subgraph's database (and anything else it needs) answers */
  ready?: () => Promise<boolean>;
  /** more named checks of /ready (e.g. the queue backend); every one must answer true */
  readyChecks?: Record<string, () => Promise<boolean>>;
  plugins?: ApolloServerPlugin<SubgraphContext>[];
  /** the subgraph's runtime, given to every resolver as `ctx.rt` */
  runtime?: unknown;
  /** the instance's internal routes, answered before /graphql */
  routes?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
}

/** Starts one subgraph: /graphql for the gateway, /health and /ready for the orchestrator. */
export async function startSubgraphServer(o: SubgraphServerOptions): Promise<RunningServer> {
  const callers = new ForwardedCallerCache(o.subgraphSecret);
  const server = new ApolloServer<SubgraphContext>({
    schema: o.schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    // the process (libs/process) shuts down through its Lifecycle; Apollo's own handler would re-raise SIGTERM and kill it mid-shutdown
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginInlineTraceDisabled(), subgraphTiming(o.name), ...(o.plugins ?? [])],
  });
  return serveApollo({
    server,
    port: o.port,
    host: o.host,
    async context(req) {
      const caller = await callers.verify(req.headers[CALLER_HEADER] as string | undefined);
      return { caller, requestId: requestIdOf(req), clientAddress: req.headers['x-client-address'] as string | undefined, loaders: new Map(), rt: o.runtime };
    },
    async extra(req, res) {
      if (o.routes && (await o.routes(req, res))) return true;
      const path = (req.url ?? '').split('?')[0];
      if (path === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', subgraph: o.name }));
        return true;
      }
      if (path === '/ready') {
        const checks = await runChecks({ database: o.ready ?? (async () => true), ...(o.readyChecks ?? {}) });
        const ok = Object.values(checks).every(Boolean);
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'not ready', subgraph: o.name, checks }));
        return true;
      }
      return serveMetrics(req, res);
    },
  });
}

/**
 * The subgraph's verification of forwarded callers, remembered per header: a header the gateway
 * signed verifies the same every time until it expires, so a verified one is kept (at most
 * `max` of them, the oldest forgotten first) until its own `exp` and at most `ttlMs`. Refusals
 * are not kept. The gateway reuses a signature per caller for a while, so this spares nearly
 * every HMAC and JSON decode.
 */
export class ForwardedCallerCache {
  private readonly verified = new Map<string, { caller: Caller | null; until: number }>();

  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
    private readonly max = 5_000,
    private readonly ttlMs = 60_000,
  ) {}

  async verify(header: string | undefined): Promise<Caller | null> {
    if (header) {
      const hit = this.verified.get(header);
      if (hit) {
        // a copy per request: nothing a request does to its caller reaches another
        if (this.now() < hit.until) return hit.caller && { ...hit.caller, roles: [...hit.caller.roles] };
        this.verified.delete(header);
      }
    }
    const caller = await verifyForwardedCaller(this.secret, header);
    const exp = decodeJwt(header!).exp;
    if (typeof exp === 'number') {
      if (this.verified.size >= this.max) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(header!, { caller, until: Math.min(exp * 1000, this.now() + this.ttlMs) });
    }
    return caller;
  }
}

/** Runs named readiness checks at once; a check that throws or takes over 5 s is false. */
export async function runChecks(checks: Record<string, () => Promise<boolean>>, timeoutMs = 5_000): Promise<Record<string, boolean>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        });
        return [name, (await Promise.race([check().catch(() => false), timeout])) === true] as const;
      } finally {
        if (timer) clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

/** A subgraph's own answer time per request, for /metrics. */
function subgraphTiming(name: string): ApolloServerPlugin<SubgraphContext> {
  return {
    async requestDidStart() {
      const stop = metrics.subgraphRequests.startTimer({ subgraph: name });
      return {
        async willSendResponse(rc) {
          const failed = rc.response.body.kind === 'single' && !!rc.response.body.singleResult.errors?.length;
          stop({ outcome: failed ? 'error' : 'ok' });
        },
      };
    },
  };
}
