import DataLoader from 'dataloader';
import type { Caller } from '@citypoints/auth';

/**
 * What every resolver of every subgraph receives. `rt` is the subgraph's runtime — the object its
 * `create()` built (data source, clock, ledger, queues, publisher, lifecycle) — handed down to
 * services and jobs as a parameter; nothing in a subgraph reaches it through module state.
 */
export interface SubgraphContext<R = unknown> {
  caller: Caller | null;
  requestId: string;
  /** the client's address as the gateway saw it (x-client-address), for per-address limits of public operations */
  clientAddress?: string;
  /** per-request DataLoaders, keyed by name, so references batch into one query */
  loaders: Map<string, DataLoader<unknown, unknown>>;
  rt: R;
}

/** The request's DataLoader of that name, created on first use. */
export function loader<K, V>(ctx: SubgraphContext, name: string, batch: (keys: readonly K[]) => Promise<(V | Error)[]>): DataLoader<K, V> {
  let l = ctx.loaders.get(name) as DataLoader<K, V> | undefined;
  if (!l) {
    l = new DataLoader<K, V>(batch, { cache: true });
    ctx.loaders.set(name, l as DataLoader<unknown, unknown>);
  }
  return l;
}

/** Orders batch results as the keys came (DataLoader and reference resolvers need it). */
export function byKeys<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | null)[] {
  const map = new Map<K, V>();
  for (const r of rows) map.set(keyOf(r), r);
  return keys.map((k) => map.get(k) ?? null);
}
