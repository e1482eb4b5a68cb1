import http from 'node:http';
import { mustAuditRead, signForwardedCaller, type Caller } from '@citypoints/auth';

/**
 * The gateway's HTTP exchange with one subgraph: node:http over a keep-alive agent of its own
 * (enough sockets for every concurrent fetch, idle sockets retired well before the subgraph's
 * server closes them), and identical in-flight queries shared.
 */

/** What came back from a subgraph: status, headers and the body as text. */
export interface Exchange {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * Idle sockets are closed by the gateway after this long. Subgraph servers keep an idle
 * connection for SERVER_KEEP_ALIVE_MS (libs/federation), longer than this, so the gateway never
 * writes a request on a socket the subgraph has just closed ("other side closed").
 */
export const CLIENT_IDLE_SOCKET_MS = 30_000;

export interface SubgraphAgentOptions {
  /** sockets per subgraph at most; 256 unless told */
  maxSockets?: number;
  /** idle sockets kept per subgraph; 64 unless told */
  maxFreeSockets?: number;
}

export function subgraphAgent(o: SubgraphAgentOptions = {}): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 256, maxFreeSockets: o.maxFreeSockets ?? 64, scheduling: 'lifo' });
  // the agent destroys a free socket whose timeout fires; a socket in use is governed by the fetch's own timeout
  agent.on('free', (socket) => socket.setTimeout(CLIENT_IDLE_SOCKET_MS));
  return agent;
}

/** One POST of a JSON body; rejects with a TimeoutError after `timeoutMs`, or the socket's error. */
export function postJson(agent: http.Agent, url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Exchange> {
  return new Promise<Exchange>((resolve, reject) => {
    const payload = Buffer.from(body, 'utf8');
    const req = http.request(
      {
        agent,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, text: chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      },
    );
    const timer = setTimeout(() => {
      const e = new Error(`no answer within ${timeoutMs} ms`);
      e.name = 'TimeoutError';
      req.destroy(e);
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(payload);
  });
}

/** A Fetch-like view of an exchange, for what Apollo's data source reads of a response (headers, json, text). */
export function responseOf(url: string, x: Exchange) {
  return {
    url,
    status: x.status,
    statusText: x.statusText,
    ok: x.status >= 200 && x.status < 300,
    headers: {
      get(name: string): string | null {
        const v = x.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
    async text() {
      return x.text;
    },
    async json() {
      return JSON.parse(x.text);
    },
  };
}

/** The caller as a stable string: two requests of the same person with the same claims give the same key. */
export function callerKey(c: Caller | null): string {
  return c ? JSON.stringify([c.sub, c.roles, c.department ?? null, c.division ?? null, c.purpose ?? null]) : 'anonymous';
}

/**
 * Signatures of the forwarded caller, one per caller for a while: the header is valid for 2
 * minutes, and is reused for at most REUSE_MS of it, so a subgraph fetch that starts with it has
 * over a minute left (fetches time out long before). Subgraphs cache their verification of a
 * header, so a reused header costs them nothing either.
 */
export class ForwardedCallerSigner {
  static readonly REUSE_MS = 30_000;
  private readonly signed = new Map<string, { at: number; token: Promise<string> }>();

  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
    private readonly max = 10_000,
  ) {}

  sign(caller: Caller | null): Promise<string> {
    const key = callerKey(caller);
    const now = this.now();
    const hit = this.signed.get(key);
    if (hit && now - hit.at < ForwardedCallerSigner.REUSE_MS) return hit.token;
    if (this.signed.size >= this.max) this.signed.clear();
    const token = signForwardedCaller(this.secret, caller);
    this.signed.set(key, { at: now, token });
    token.catch(() => this.signed.delete(key));
    return token;
  }
}

/**
 * Identical subgraph queries in flight at once share one exchange: same subgraph, same body
 * (operation and variables), same caller and client address. Never a mutation. A caller whose
 * reads are audited shares only within one request (each request's read is audited). A query
 * never joins an exchange that started before a mutation through this gateway finished, so a
 * client that wrote and then reads sees its write.
 */
export class InflightQueries {
  private readonly inflight = new Map<string, Promise<Exchange>>();
  private writes = 0;
  /** exchanges answered from another request's fetch (for the bench and /metrics) */
  shared = 0;

  constructor(private readonly enabled = true) {}

  run(key: string | null, exchange: () => Promise<Exchange>): Promise<Exchange> {
    if (key === null || !this.enabled) return exchange();
    const k = `${this.writes}\u0000${key}`;
    const running = this.inflight.get(k);
    if (running) {
      this.shared++;
      return running;
    }
    const p = exchange();
    this.inflight.set(k, p);
    const forget = () => {
      if (this.inflight.get(k) === p) this.inflight.delete(k);
    };
    p.then(forget, forget);
    return p;
  }

  /** a mutation finished: later queries start their own exchanges */
  wrote(): void {
    this.writes++;
  }

  /** The dedup key of a fetch, or null when it must not be shared. */
  static keyOf(o: { subgraph: string; body: string; isQuery: boolean; caller: Caller | null; clientAddress?: string; requestId: string }): string | null {
    if (!o.isQuery) return null;
    const scope = mustAuditRead(o.caller) ? `request:${o.requestId}` : `address:${o.clientAddress ?? ''}`;
    return `${o.subgraph}\u0000${callerKey(o.caller)}\u0000${scope}\u0000${o.body}`;
  }
}

/** True for a subgraph operation that only reads (the gateway prints them `query …` or `{ … }`). */
export const isQueryOperation = (query: string) => /^\s*(\{|query\b)/.test(query);
