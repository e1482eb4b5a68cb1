import DataLoader from 'dataloader';
import { SERVICE_HEADER, signServiceCall } from '@citypoints/auth';
import type { DataSource, EntityManager } from '@citypoints/db';
import { parsePayload, type TopicContract } from './contracts';
import type { Projection } from './projection';

/** Registry's internal route answering "what do you know of these?" for other subgraphs. */
export const OWNER_LOOKUP_PATH = '/internal/lookup';

export type OwnedKind = 'residents' | 'enterprises' | 'organisations';

/** An entity's state as its owner holds it now, with the version of its stream that state is at. */
export interface OwnedState {
  key: string;
  version: number;
  state: Record<string, unknown>;
}

/**
 * `residentIdNumbers`: ID numbers whose resident id the caller needs (e.g. settlement linking an
 * applicant's child to the city's records); the owner answers only the resident id of each it
 * knows, nothing else of the resident.
 */
export type LookupRequest = Partial<Record<OwnedKind, string[]>> & { residentIdNumbers?: string[] };
export type LookupResponse = Partial<Record<OwnedKind, OwnedState[]>> & { residentIdsByIdNumber?: { idNumber: string; residentId: string }[] };

export interface OwnerClientOptions {
  /** the calling subgraph, signed into the call as its identity */
  service: string;
  /** the subgraph that owns the entities (`registry`) */
  owner: string;
  urlOf(subgraph: string): string | undefined;
  secret: string;
  timeoutMs?: number;
}

/** Signed internal calls from one subgraph to the owner of the entities it projects. */
export class OwnerClient {
  constructor(private readonly o: OwnerClientOptions) {}

  /** whether the owner's address is known (a city without registry has none; then nothing is asked) */
  get configured(): boolean {
    return this.o.urlOf(this.o.owner) !== undefined;
  }

  /** The resident id of each ID number the owner knows, by the ID number as asked. */
  async residentIdsByIdNumber(idNumbers: readonly string[]): Promise<Map<string, string>> {
    if (!idNumbers.length) return new Map();
    const answer = (await this.lookup({ residentIdNumbers: [...idNumbers] })).residentIdsByIdNumber ?? [];
    return new Map(answer.filter((a) => idNumbers.includes(a.idNumber)).map((a) => [a.idNumber, a.residentId]));
  }

  async lookup(request: LookupRequest): Promise<LookupResponse> {
    const base = this.o.urlOf(this.o.owner);
    if (!base) throw ownerUnavailable(this.o.owner, 'its address is not configured');
    const url = new URL(OWNER_LOOKUP_PATH, base);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SERVICE_HEADER]: await signServiceCall(this.o.secret, this.o.service) },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000),
      });
    } catch (e) {
      throw ownerUnavailable(this.o.owner, (e as Error).message);
    }
    if (!res.ok) throw ownerUnavailable(this.o.owner, `it answered ${res.status}`);
    return (await res.json()) as LookupResponse;
  }
}

/** An internal error: the caller sees "internal error", the log says which owner and why. */
function ownerUnavailable(owner: string, why: string): Error {
  return new Error(`${owner} could not be asked about an entity this subgraph has not heard of yet (${why})`);
}

export interface ReadThroughConfig {
  kind: OwnedKind;
  projection: Projection;
  /** the contract the owner's state fits (the topic that carries the whole state) */
  contract: TopicContract;
  /** which of the keys the projection holds already */
  known(m: Pick<EntityManager, 'query'>, keys: readonly string[]): Promise<string[]>;
}

export interface ReadThroughRuntime {
  ds: DataSource;
  /** the client of the owner (registry); absent where none is configured, and a miss then stays a miss */
  registry?: OwnerClient;
}

export interface ReadThrough {
  /**
   * Makes sure the projection holds each key the owner knows: keys it misses are asked of the
   * owner in one call per request (batched and cached in the request's loaders) and applied with
   * the owner's version, so the event that follows finds them current. Returns the keys known.
   */
  ensure(ctx: { loaders: Map<string, DataLoader<unknown, unknown>> }, rt: ReadThroughRuntime, keys: readonly string[]): Promise<Set<string>>;
  /**
   * The same for keys the caller has just found missing (a loader that read the projection
   * already): no second look at the projection, only the owner is asked. Returns the keys it filled.
   */
  fill(ctx: { loaders: Map<string, DataLoader<unknown, unknown>> }, rt: ReadThroughRuntime, missing: readonly string[]): Promise<Set<string>>;
}

/** Read-your-writes for one projection of an entity another subgraph owns. */
export function defineReadThrough(cfg: ReadThroughConfig): ReadThrough {
  type Ctx = { loaders: Map<string, DataLoader<unknown, unknown>> };
  const loaderOf = (ctx: Ctx, name: string, batch: (keys: readonly string[]) => Promise<boolean[]>) => {
    let l = ctx.loaders.get(name) as DataLoader<string, boolean> | undefined;
    if (!l) {
      l = new DataLoader<string, boolean>(batch);
      ctx.loaders.set(name, l as DataLoader<unknown, unknown>);
    }
    return l;
  };
  /** asks the owner for keys the projection misses and applies what it knows; the keys it knew */
  const askOwner = async (rt: ReadThroughRuntime, missing: readonly string[]): Promise<Set<string>> => {
    const filled = new Set<string>();
    if (!missing.length || !rt.registry) return filled;
    const answer = (await rt.registry.lookup({ [cfg.kind]: [...missing] }))[cfg.kind] ?? [];
    for (const o of answer) {
      if (!missing.includes(o.key) || !(o.version >= 1)) continue;
      await cfg.projection.apply(rt.ds, cfg.contract, parsePayload(cfg.contract, o.state), o.version);
      filled.add(o.key);
    }
    return filled;
  };
  const run = async (l: DataLoader<string, boolean>, keys: readonly string[]) => {
    const found = await l.loadMany([...keys]);
    return new Set(keys.filter((_, i) => found[i] === true));
  };
  return {
    ensure: (ctx, rt, keys) =>
      run(
        loaderOf(ctx, `read-through:${cfg.kind}`, async (batch) => {
          const held = new Set(await cfg.known(rt.ds, batch));
          const filled = await askOwner(rt, batch.filter((k) => !held.has(k)));
          return batch.map((k) => held.has(k) || filled.has(k));
        }),
        keys,
      ),
    fill: (ctx, rt, missing) =>
      run(
        loaderOf(ctx, `read-through-fill:${cfg.kind}`, async (batch) => {
          const filled = await askOwner(rt, batch);
          return batch.map((k) => filled.has(k));
        }),
        missing,
      ),
  };
}

/** The client a consuming subgraph asks registry with, when its deps say where registry listens. */
export function registryClientFor(service: string, internal: { urlOf(subgraph: string): string | undefined; secret: string } | undefined): OwnerClient | undefined {
  return internal ? new OwnerClient({ service, owner: 'registry', urlOf: (s) => internal.urlOf(s), secret: internal.secret }) : undefined;
}

/**
 * Runs `fn`; only when it fails NOT_FOUND does it ask the owner (`fill`) and, when the owner knew
 * the entity, run once more. Input `fn` refuses is refused before anything is projected.
 */
export async function withReadThrough<T>(fn: () => Promise<T>, fill: () => Promise<Set<string>>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if ((e as { code?: string }).code !== 'NOT_FOUND' || !(await fill()).size) throw e;
    return fn();
  }
}
