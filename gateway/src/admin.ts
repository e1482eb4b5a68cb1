import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { AppControllerRoute, AppViewRoute, BullBoardQueues, ControllerHandlerReturnType, IServerAdapter, UIConfig } from '@bull-board/api/typings/app';
import type { Caller } from '@citypoints/auth';
import { createQueue, type JobQueue, type QueueConnection } from '@citypoints/jobs';
import { logger } from '@citypoints/log';

const log = logger('admin-queues');

export const ADMIN_QUEUES_PATH = '/admin/queues';
const COOKIE = 'cp_admin_session';
const SESSION_SECONDS = 8 * 3600;

export interface AdminQueuesOptions {
  /** the queue backend every subgraph uses */
  connection: QueueConnection;
  /** the queues' prefix (QUEUE_PREFIX) */
  prefix: string;
  /** queue names to show (configuration: ADMIN_QUEUES, or the city's list in libs/config) */
  queues: string[];
  /** signs the dashboard's session cookie; the gateway's own secret */
  sessionSecret: string;
  /** mark the cookie Secure (behind HTTPS) */
  secureCookie?: boolean;
}

export interface AdminQueues {
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
  /** true when the queue backend answers */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

interface Route {
  methods: string[];
  pattern: RegExp;
  keys: string[];
  run(params: Record<string, string>, req: http.IncomingMessage, query: Record<string, string>, body: Record<string, unknown>): Promise<{ status: number; body: unknown }>;
}

/** `/api/queues/:queueName/:jobId` → a regular expression and its parameter names. */
function compile(route: string): { pattern: RegExp; keys: string[] } {
  const keys: string[] = [];
  const source = route
    .split('/')
    .map((part) => {
      if (part.startsWith(':')) {
        keys.push(part.slice(1).replace(/\?$/, ''));
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`), keys };
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** bull-board's server adapter for plain node:http (it ships adapters for frameworks only). */
class NodeHttpAdapter implements IServerAdapter {
  private queues: BullBoardQueues | undefined;
  private viewsPath = '';
  private staticRoute = '/static';
  private staticPath = '';
  private entry: AppViewRoute | undefined;
  private errorHandler: ((e: Error) => ControllerHandlerReturnType) | undefined;
  private routes: Route[] = [];
  private uiConfig: UIConfig = {};

  constructor(private readonly basePath: string) {}

  setQueues(q: BullBoardQueues) {
    this.queues = q;
    return this;
  }
  setViewsPath(p: string) {
    this.viewsPath = p;
    return this;
  }
  setStaticPath(route: string, p: string) {
    this.staticRoute = route;
    this.staticPath = p;
    return this;
  }
  setEntryRoute(r: AppViewRoute) {
    this.entry = r;
    return this;
  }
  setErrorHandler(h: (e: Error) => ControllerHandlerReturnType) {
    this.errorHandler = h;
    return this;
  }
  setUIConfig(c: UIConfig) {
    this.uiConfig = c;
    return this;
  }
  setApiRoutes(routes: AppControllerRoute[]) {
    for (const r of routes) {
      const methods = (Array.isArray(r.method) ? r.method : [r.method]).map((m) => m.toUpperCase());
      for (const route of Array.isArray(r.route) ? r.route : [r.route]) {
        const { pattern, keys } = compile(route);
        this.routes.push({
          methods,
          pattern,
          keys,
          run: async (params, req, query, body) => {
            const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
            const out = await r.handler({ queues: this.queues!, uiConfig: this.uiConfig, query, params, body, headers });
            return { status: out.status ?? 200, body: out.body };
          },
        });
      }
    }
    return this;
  }

  /** Serves a request whose path is under the base path (already authorised). */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, sub: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rel = url.pathname.slice(this.basePath.length) || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    if (rel.startsWith(this.staticRoute + '/') && method === 'GET') return this.serveStatic(rel.slice(this.staticRoute.length), res);
    for (const r of this.routes) {
      if (!r.methods.includes(method)) continue;
      const m = r.pattern.exec(rel);
      if (!m) continue;
      const params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]));
      const query = Object.fromEntries(url.searchParams.entries());
      try {
        const body = method === 'GET' || method === 'HEAD' ? {} : await readJson(req);
        if (method !== 'GET') log.info({ actor: sub, method, route: rel }, 'queue dashboard action');
        const out = await r.run(params, req, query, body);
        res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
      } catch (e) {
        const out = this.errorHandler ? this.errorHandler(e as Error) : { status: 500, body: { error: 'internal error' } };
        res.writeHead(out.status ?? 500, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
      }
      return;
    }
    if (method === 'GET' && this.entry) return this.serveEntry(res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  private serveEntry(res: http.ServerResponse): void {
    const { name, params } = this.entry!.handler({ basePath: this.basePath, uiConfig: this.uiConfig });
    const template = fs.readFileSync(path.join(this.viewsPath, name), 'utf8');
    // the template uses only <%= value %> (escaped) and <%- value %> (already JSON-escaped)
    const html = template
      .replace(/<%-\s*(\w+)\s*%>/g, (_, k: string) => String(params[k] ?? ''))
      .replace(/<%=\s*(\w+)\s*%>/g, (_, k: string) => escapeHtml(String(params[k] ?? '')));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  }

  private serveStatic(rel: string, res: http.ServerResponse): void {
    const file = path.resolve(this.staticPath, '.' + path.posix.normalize('/' + decodeURIComponent(rel)));
    if (!file.startsWith(path.resolve(this.staticPath) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=86400' });
    fs.createReadStream(file).pipe(res);
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

async function readBody(req: http.IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req);
  if (!raw) return {};
  try {
    const v = JSON.parse(raw);
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

/** A session cookie: the admin's subject and expiry, HMAC-signed with the gateway's secret. */
function sessionCodec(secret: string) {
  const key = createHmac('sha256', secret).update('citypoints admin-queues session v1').digest();
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  return {
    issue(sub: string, expSeconds: number): string {
      const payload = Buffer.from(JSON.stringify({ sub, exp: expSeconds })).toString('base64url');
      return `${payload}.${mac(payload)}`;
    },
    read(value: string | undefined): string | null {
      if (!value) return null;
      const [payload, sig] = value.split('.');
      if (!payload || !sig) return null;
      const expected = Buffer.from(mac(payload));
      const given = Buffer.from(sig);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
      try {
        const { sub, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub: string; exp: number };
        return typeof sub === 'string' && typeof exp === 'number' && exp > Date.now() / 1000 ? sub : null;
      } catch {
        return null;
      }
    },
  };
}

function cookieOf(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

const LOGIN_PAGE = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>citypoints · 任务队列 / job queues</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}textarea{width:100%;height:8rem}button{margin-top:.5rem;padding:.5rem 1rem}</style></head>
<body><h1>任务队列 · Job queues</h1><p>仅限市级管理员。请粘贴访问令牌。<br>City administrators only: paste your bearer token.</p>
<form method="post" action="${ADMIN_QUEUES_PATH}/session"><textarea name="token" required autocomplete="off"></textarea><br><button type="submit">登录 · Sign in</button></form></body></html>`;

/**
 * bull-board at /admin/queues, for CITY_ADMIN only: a bearer token on every request, or the
 * session cookie set by POSTing a token to /admin/queues/session. 401 without credentials, 403
 * for a caller who is not a city admin.
 */
export async function startAdminQueues(o: AdminQueuesOptions, callerOf: (req: http.IncomingMessage) => Promise<Caller | null>): Promise<AdminQueues> {
  const queues: JobQueue[] = o.queues.map((name) => createQueue(name, o.connection, { prefix: o.prefix }));
  for (const q of queues) q.on('error', (err) => log.warn({ err, queue: q.name }, 'queue error'));
  const adapter = new NodeHttpAdapter(ADMIN_QUEUES_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q as never)),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'citypoints jobs' } },
  });
  const sessions = sessionCodec(o.sessionSecret);

  const unauthorised = (req: http.IncomingMessage, res: http.ServerResponse, status: 401 | 403, message: string) => {
    const wantsHtml = (req.headers.accept ?? '').includes('text/html');
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (status === 401) headers['www-authenticate'] = 'Bearer realm="citypoints admin"';
    if (wantsHtml && status === 401) res.writeHead(401, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(LOGIN_PAGE);
    else res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message, extensions: { code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN' } }] }));
  };

  return {
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      // a token given once becomes a session cookie for the dashboard's own requests
      if (url.pathname === `${ADMIN_QUEUES_PATH}/session` && req.method === 'POST') {
        const raw = await readBody(req, 64 * 1024).catch(() => '');
        const token = (req.headers['content-type'] ?? '').includes('json') ? String((JSON.parse(raw || '{}') as { token?: unknown }).token ?? '') : (new URLSearchParams(raw).get('token') ?? '');
        const fake = { headers: { authorization: `Bearer ${token.trim()}` } } as unknown as http.IncomingMessage;
        const caller = token ? await callerOf(fake).catch(() => null) : null;
        if (!caller) return unauthorised(req, res, 401, 'a valid bearer token is required');
        if (!caller.roles.includes('CITY_ADMIN')) return unauthorised(req, res, 403, 'the job dashboard is for city administrators');
        const value = sessions.issue(caller.sub, Math.floor(Date.now() / 1000) + SESSION_SECONDS);
        const cookie = `${COOKIE}=${value}; Path=${ADMIN_QUEUES_PATH}; HttpOnly; SameSite=Strict; Max-Age=${SESSION_SECONDS}${o.secureCookie ? '; Secure' : ''}`;
        res.writeHead(303, { 'set-cookie': cookie, location: `${ADMIN_QUEUES_PATH}/`, 'cache-control': 'no-store' }).end();
        return;
      }
      let sub: string | null = null;
      if (req.headers.authorization) {
        const caller = await callerOf(req).catch(() => null);
        if (!caller) return unauthorised(req, res, 401, 'the bearer token is not valid');
        if (!caller.roles.includes('CITY_ADMIN')) return unauthorised(req, res, 403, 'the job dashboard is for city administrators');
        sub = caller.sub;
      } else {
        sub = sessions.read(cookieOf(req, COOKIE));
        if (!sub) return unauthorised(req, res, 401, 'a bearer token or a dashboard session is required');
      }
      res.setHeader('x-frame-options', 'DENY');
      await adapter.handle(req, res, sub);
    },
    async ping() {
      if (queues.length === 0) return true;
      try {
        await queues[0].getJobCounts('waiting');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await Promise.allSettled(queues.map((q) => q.close()));
    },
  };
}
