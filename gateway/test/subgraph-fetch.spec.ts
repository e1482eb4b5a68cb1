import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { signForwardedCaller, type Caller } from '@citypoints/auth';
import { ForwardedCallerCache, SERVER_KEEP_ALIVE_MS } from '@citypoints/federation';
import { cachedVerifier, sliceOfEntities } from '../src/gateway';
import { CLIENT_IDLE_SOCKET_MS, ForwardedCallerSigner, InflightQueries, isQueryOperation, postJson, subgraphAgent, type Exchange } from '../src/subgraph-fetch';

const admin: Caller = { sub: 'admin-1', roles: ['CITY_ADMIN'] };
const analyst: Caller = { sub: 'analyst-1', roles: ['DEPARTMENT_ANALYST'], department: 'civil-affairs' };
const answer = (text: string): Exchange => ({ status: 200, statusText: 'OK', headers: {}, text });

/** An exchange the test finishes when it wants, counting how often it was started. */
function pending() {
  const started: ((x: Exchange) => void)[] = [];
  return {
    started,
    run: () => new Promise<Exchange>((resolve) => started.push(resolve)),
  };
}

describe('identical in-flight subgraph queries', () => {
  const key = (o: Partial<Parameters<typeof InflightQueries.keyOf>[0]>) =>
    InflightQueries.keyOf({ subgraph: 'registry', body: '{"query":"{ divisions { code } }"}', isQuery: true, caller: admin, clientAddress: '10.0.0.1', requestId: 'r1', ...o });

  it('share one exchange for the same caller, body and address, and each gets the whole answer', async () => {
    const q = new InflightQueries();
    const p = pending();
    const a = q.run(key({ requestId: 'r1' }), p.run);
    const b = q.run(key({ requestId: 'r2' }), p.run);
    expect(p.started).toHaveLength(1);
    p.started[0](answer('{"data":{}}'));
    expect(await a).toEqual(answer('{"data":{}}'));
    expect(await b).toBe(await a);
    expect(q.shared).toBe(1);
    // once answered, the next one fetches afresh
    const c = q.run(key({ requestId: 'r3' }), p.run);
    expect(p.started).toHaveLength(2);
    p.started[1](answer('{"data":{"n":2}}'));
    expect((await c).text).toBe('{"data":{"n":2}}');
  });

  it('are not shared between callers, addresses, subgraphs or bodies', () => {
    const q = new InflightQueries();
    const p = pending();
    q.run(key({}), p.run);
    q.run(key({ caller: { ...admin, sub: 'admin-2' } }), p.run);
    q.run(key({ caller: { ...admin, purpose: 'inspection' } }), p.run);
    q.run(key({ caller: null }), p.run);
    q.run(key({ clientAddress: '10.0.0.2' }), p.run);
    q.run(key({ subgraph: 'civic' }), p.run);
    q.run(key({ body: '{"query":"{ divisions { name } }"}' }), p.run);
    expect(p.started).toHaveLength(7);
  });

  it('never share a mutation', () => {
    expect(key({ isQuery: false })).toBeNull();
    const q = new InflightQueries();
    const p = pending();
    q.run(key({ isQuery: false }), p.run);
    q.run(key({ isQuery: false }), p.run);
    expect(p.started).toHaveLength(2);
  });

  it('share an audited caller’s reads only within one request, so each request is audited', () => {
    const q = new InflightQueries();
    const p = pending();
    q.run(key({ caller: analyst, requestId: 'r1' }), p.run);
    q.run(key({ caller: analyst, requestId: 'r2' }), p.run);
    q.run(key({ caller: analyst, requestId: 'r1' }), p.run);
    expect(p.started).toHaveLength(2);
  });

  it('do not join a query that started before a mutation finished (a client reads its own write)', () => {
    const q = new InflightQueries();
    const p = pending();
    q.run(key({ requestId: 'before' }), p.run);
    q.wrote();
    q.run(key({ requestId: 'after' }), p.run);
    q.run(key({ requestId: 'after-too' }), p.run);
    expect(p.started).toHaveLength(2);
  });

  it('tell the gateway’s printed reads from writes', () => {
    expect(isQueryOperation('query Q__registry__0 { divisions { code } }')).toBe(true);
    expect(isQueryOperation('{ divisions { code } }')).toBe(true);
    expect(isQueryOperation('query($r:[_Any!]!){_entities(representations:$r){__typename}}')).toBe(true);
    expect(isQueryOperation('mutation M__civic__0 { earn }')).toBe(false);
    expect(isQueryOperation('subscription S { x }')).toBe(false);
  });
});

describe('the keep-alive agent', () => {
  let server: http.Server;
  let url: URL;
  const connections: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/never') return; // answers nothing
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: body, caller: req.headers['x-citypoints-caller'] ?? null }));
      });
    });
    server.keepAliveTimeout = SERVER_KEEP_ALIVE_MS;
    server.on('connection', (s) => connections.push(`${s.remotePort}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('closes idle sockets before a subgraph server would', () => {
    expect(CLIENT_IDLE_SOCKET_MS).toBeLessThan(SERVER_KEEP_ALIVE_MS);
  });

  it('reuses one connection for fetches one after another, and sends the body and headers', async () => {
    const agent = subgraphAgent();
    try {
      const before = connections.length;
      for (let i = 0; i < 5; i++) {
        const x = await postJson(agent, url, { 'x-citypoints-caller': 'signed' }, `{"n":${i}}`, 5_000);
        expect(x.status).toBe(200);
        expect(JSON.parse(x.text)).toEqual({ echo: `{"n":${i}}`, caller: 'signed' });
      }
      expect(connections.length - before).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('gives up on a subgraph that does not answer, with a TimeoutError', async () => {
    const agent = subgraphAgent();
    try {
      await expect(postJson(agent, new URL('/never', url), {}, '{}', 200)).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      agent.destroy();
    }
  });
});

describe('signing and verifying the forwarded caller', () => {
  const secret = 'test-subgraph-secret-0123456789abcdef';

  it('signs once per caller and reuses the signature for 30 s, then signs afresh', async () => {
    let now = 1_000_000;
    const signer = new ForwardedCallerSigner(secret, () => now);
    const a = signer.sign(admin);
    expect(signer.sign({ ...admin, roles: [...admin.roles] })).toBe(a);
    expect(signer.sign(analyst)).not.toBe(a);
    expect(signer.sign(null)).not.toBe(a);
    now += ForwardedCallerSigner.REUSE_MS - 1;
    expect(signer.sign(admin)).toBe(a);
    now += 1;
    expect(signer.sign(admin)).not.toBe(a);
  });

  it('a subgraph verifies a header once, hands each request its own copy, and refuses a forged one every time', async () => {
    const cache = new ForwardedCallerCache(secret);
    const header = await signForwardedCaller(secret, analyst);
    const first = await cache.verify(header);
    const second = await cache.verify(header);
    expect(first).toEqual(analyst);
    expect(second).toEqual(analyst);
    expect(second).not.toBe(first);
    expect(await cache.verify(await signForwardedCaller(secret, null))).toBeNull();
    const forged = await signForwardedCaller('another-secret-0123456789abcdefgh', admin);
    await expect(cache.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(cache.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(cache.verify(undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a subgraph forgets a verified header at its expiry', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    try {
      const start = Date.now();
      const cache = new ForwardedCallerCache(secret);
      const header = await new SignJWT({ caller: admin }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(Math.floor(start / 1000) + 2).setAudience('citypoints-subgraph').sign(new TextEncoder().encode(secret));
      expect(await cache.verify(header)).toEqual(admin);
      // past the header's exp the cache verifies again, and the verification refuses it
      jest.setSystemTime(start + 10_000);
      await expect(cache.verify(header)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('the gateway verifies a bearer token once until its exp, and keeps no refusal', async () => {
    let now = 1_000_000_000;
    let calls = 0;
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(now / 1000) + 60).sign(new TextEncoder().encode(secret));
    const verify = cachedVerifier(async (t) => {
      calls++;
      if (t === 'bad') throw new Error('refused');
      return { ...admin, roles: [...admin.roles] };
    }, () => now);
    const a = await verify(token);
    const b = await verify(token);
    expect(calls).toBe(1);
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
    await expect(verify('bad')).rejects.toThrow('refused');
    await expect(verify('bad')).rejects.toThrow('refused');
    expect(calls).toBe(3);
    now += 60_000;
    await verify(token);
    expect(calls).toBe(4);
  });
});

describe('entity fetches of one request gathered into one call', () => {
  const answer = {
    data: { _entities: [{ id: 'a' }, null, { id: 'c' }, { id: 'd' }] },
    errors: [
      { message: 'b refused', path: ['_entities', 1, 'settlement'] },
      { message: 'd refused', path: ['_entities', 3] },
      { message: 'about the call' },
    ],
  };

  it('gives each fetch its own entities and the errors about them, paths renumbered, and the errors about no entity', () => {
    expect(sliceOfEntities(answer, 0, 2)).toEqual({
      data: { _entities: [{ id: 'a' }, null] },
      errors: [{ message: 'b refused', path: ['_entities', 1, 'settlement'] }, { message: 'about the call' }],
    });
    expect(sliceOfEntities(answer, 2, 2)).toEqual({
      data: { _entities: [{ id: 'c' }, { id: 'd' }] },
      errors: [{ message: 'd refused', path: ['_entities', 1] }, { message: 'about the call' }],
    });
  });

  it('keeps an answer without data or errors as it is', () => {
    expect(sliceOfEntities({ data: null, errors: [{ message: 'down' }] }, 1, 1)).toEqual({ data: null, errors: [{ message: 'down' }] });
    expect(sliceOfEntities({ data: { _entities: [1, 2] } }, 1, 1)).toEqual({ data: { _entities: [2] } });
  });
});
