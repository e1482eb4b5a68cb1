import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import type { Clock } from '@citypoints/kit';
import type { QueueConnection } from '@citypoints/jobs';
import type { FederatedSchema } from './schema';

/** What a subgraph is given to run: its database, its queue backend, a clock. */
export interface SubgraphDeps {
  databaseUrl: string;
  queue: QueueConnection;
  queuePrefix?: string;
  clock: Clock;
  log?: (message: string) => void;
  /** internal calls between subgraphs (read-your-writes): where each one listens, and the secret that signs a service's identity */
  internal?: InternalCalls;
  /** events this subgraph consumes taken at once (the consumer's default unless told; a benchmark's baseline runs them one at a time) */
  eventConcurrency?: number;
}

export interface InternalCalls {
  /** the GraphQL URL of a subgraph, e.g. `http://127.0.0.1:4101/graphql` */
  urlOf(subgraph: string): string | undefined;
  secret: string;
}

export interface DemoOptions {
  /** the PRNG seed the demo data is generated from */
  seed: number;
  log?: (message: string) => void;
}

/** A running subgraph: its schema for the server, its workers, its demo data, its shutdown. */
export interface SubgraphInstance<R = unknown> {
  name: string;
  /** the runtime `create()` built; the server puts it in every request's context as `rt` */
  runtime?: R;
  federated: FederatedSchema;
  dataSource: DataSource;
  ready(): Promise<boolean>;
  /** HTTP routes beside /graphql for other subgraphs only (e.g. registry's `/internal/lookup`); true when it answered */
  routes?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** starts the BullMQ workers, job schedulers, the outbox relay and event consumers */
  startWorkers(): Promise<void>;
  /** loads demo data once (a second call finds it loaded and does nothing) */
  seedDemo?(o: DemoOptions): Promise<void>;
  /** workers, then queues, then the database pool */
  close(): Promise<void>;
}

/** Every subgraph package exports one of these from its index. */
export interface SubgraphModule {
  name: string;
  /** the PostgreSQL schema it owns */
  schema: string;
  /** environment variable naming its port */
  portVariable: 'REGISTRY_PORT' | 'SETTLEMENT_PORT' | 'CIVIC_PORT' | 'ENTERPRISE_CREDIT_PORT' | 'SOCIAL_ORGANISATIONS_PORT' | 'VOLUNTEERING_PORT';
  /** the schema alone, without a database: for composing the supergraph ahead of time */
  buildSchema(): Promise<FederatedSchema>;
  create(deps: SubgraphDeps): Promise<SubgraphInstance>;
}
