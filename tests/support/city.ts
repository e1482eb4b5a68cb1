/**
 * The city test harness: subgraphs and a gateway in the test process. It lives outside libs
 * because it starts the gateway (docs/architecture.md, imports point down).
 */
import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@citypoints/db';
import type { QueueConnection } from '@citypoints/jobs';
import { startSubgraphServer, type RunningServer, type SubgraphInstance, type SubgraphModule } from '@citypoints/federation';
import { systemClock, type Clock } from '@citypoints/kit';
import { composeSupergraph, startGateway } from '@citypoints/gateway';
import { gql, TEST_JWT_SECRET, TEST_SUBGRAPH_SECRET, testQueueConnection, tokenFor, type GraphQLResponse, type TokenClaims } from '@citypoints/testing';
import type { Role } from '@citypoints/auth';


export interface TestCity {
  db: TestDatabase;
  gatewayUrl: string;
  clock: Clock;
  queue: QueueConnection;
  queuePrefix: string;
  instances: Record<string, SubgraphInstance>;
  servers: Record<string, RunningServer>;
  /** a GraphQL call through the gateway, as a client makes it */
  query<T = Record<string, any>>(q: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  token(roles: Role | Role[], claims?: TokenClaims): Promise<string>;
  /** stops one subgraph's server (its process dying, as the gateway sees it) */
  stopSubgraph(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface StartCityOptions {
  modules: SubgraphModule[];
  /** start the BullMQ workers, schedulers, outbox relays and consumers too */
  workers?: boolean;
  clock?: Clock;
  label?: string;
}

/**
 * Starts the given subgraphs and a gateway in-process on port 0 against a fresh database (real
 * migrations), with queue names of their own; `close()` stops everything and drops the database.
 */
export async function startCity(o: StartCityOptions): Promise<TestCity> {
  const db = await createTestDatabase(o.label ?? o.modules.map((m) => m.name).join('_'));
  const clock = o.clock ?? systemClock;
  const queue = testQueueConnection(db.url);
  const queuePrefix = `t${randomBytes(4).toString('hex')}`;
  const instances: Record<string, SubgraphInstance> = {};
  const servers: Record<string, RunningServer> = {};
  let gateway: RunningServer | null = null;
  try {
    for (const m of o.modules) {
      const inst = await m.create({ databaseUrl: db.url, queue, queuePrefix, clock, internal: { urlOf: (name) => servers[name]?.url, secret: TEST_SUBGRAPH_SECRET } });
      instances[m.name] = inst;
      servers[m.name] = await startSubgraphServer({ name: m.name, schema: inst.federated.schema, port: 0, subgraphSecret: TEST_SUBGRAPH_SECRET, ready: inst.ready, runtime: inst.runtime, routes: inst.routes?.bind(inst) });
    }
    const supergraphSdl = composeSupergraph(o.modules.map((m) => ({ name: m.name, sdl: instances[m.name].federated.sdl, url: servers[m.name].url })));
    gateway = await startGateway({
      supergraphSdl,
      serviceUrls: Object.fromEntries(o.modules.map((m) => [m.name, servers[m.name].url])),
      port: 0,
      jwtSecret: TEST_JWT_SECRET,
      subgraphSecret: TEST_SUBGRAPH_SECRET,
    });
    if (o.workers) for (const m of o.modules) await instances[m.name].startWorkers();
  } catch (e) {
    await gateway?.close();
    for (const s of Object.values(servers)) await s.close().catch(() => undefined);
    for (const i of Object.values(instances)) await i.close().catch(() => undefined);
    await db.drop().catch(() => undefined);
    throw e;
  }
  const gw = gateway;
  const stopped = new Set<string>();
  return {
    db,
    gatewayUrl: gw.url,
    clock,
    queue,
    queuePrefix,
    instances,
    servers,
    query: (q, variables, token) => gql(gw.url, q, variables, token),
    token: (roles, claims) => tokenFor(roles, claims),
    async stopSubgraph(name) {
      if (!stopped.has(name)) {
        stopped.add(name);
        await servers[name].close();
      }
    },
    async close() {
      await gw.close();
      for (const [name, s] of Object.entries(servers)) if (!stopped.has(name)) await s.close();
      for (const i of Object.values(instances).reverse()) await i.close();
      await db.drop();
    },
  };
}

