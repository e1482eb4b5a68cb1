import { assertIdentifier, EntityManager } from '@citypoints/db';
import { parsePayload, type PayloadOf, type TopicContract } from './contracts';
import { commutative, type EventHandler } from './consumer';
import { streamOf, type DomainEvent } from './outbox';

type Queryable = Pick<EntityManager, 'query'>;

/** How one topic feeds the projection: the row's key, and the columns of each field group it carries. */
export interface ProjectionSource<C extends TopicContract = TopicContract> {
  contract: C;
  key(payload: PayloadOf<C>): string;
  /** group name → column → value taken from the payload */
  groups: Record<string, Record<string, (payload: PayloadOf<C>) => unknown>>;
}

export interface ProjectionConfig {
  /** the consuming subgraph's schema */
  schema: string;
  table: string;
  keyColumn: string;
  /** SQL type of the key, for the cast of its parameter */
  keyType: 'uuid' | 'text';
  sources: ProjectionSource[];
}

export interface Projection {
  /** one handler per source topic, for the subgraph's EventConsumer */
  handlers: Record<string, EventHandler>;
  /** applies a fact (from an event, or a state read from its owner) under the ordering rule; true when a group moved */
  apply<C extends TopicContract>(m: Queryable, contract: C, payload: PayloadOf<C>, version: number): Promise<boolean>;
  /** the versions held for a key, by group (empty when the row is unknown) */
  versions(m: Queryable, key: string): Promise<Record<string, number>>;
}

/** `_` and letters: a group name goes into SQL as a jsonb key literal. */
const GROUP = /^[a-z][a-z0-9_]*$/;

/**
 * A projection of another subgraph's aggregate, kept by one rule: each field group remembers the
 * highest producer version it was set from (`versions` jsonb column), a fact moves a group only
 * when its version is higher, so a late or repeated fact changes nothing and the row ends the
 * same for every arrival order.
 */
export function defineProjection(cfg: ProjectionConfig): Projection {
  assertIdentifier(cfg.schema);
  assertIdentifier(cfg.table);
  assertIdentifier(cfg.keyColumn);
  const groupStream = new Map<string, string>();
  for (const s of cfg.sources) {
    for (const [g, cols] of Object.entries(s.groups)) {
      if (!GROUP.test(g)) throw new Error(`projection ${cfg.table}: bad group name ${g}`);
      for (const c of Object.keys(cols)) assertIdentifier(c);
      // versions of two streams do not compare: a group is fed by one stream only
      const stream = streamOf(s.contract.topic);
      const known = groupStream.get(g);
      if (known && known !== stream) throw new Error(`projection ${cfg.table}: group ${g} fed by ${known} and ${stream}`);
      groupStream.set(g, stream);
    }
  }
  const table = `"${cfg.schema}"."${cfg.table}"`;
  const sql = new Map<string, string>();
  for (const s of cfg.sources) {
    const groups = Object.entries(s.groups);
    const columns = groups.flatMap(([, cols]) => Object.keys(cols));
    const params = columns.map((_, i) => `$${i + 3}`);
    const held = (g: string) => `COALESCE((t."versions"->>'${g}')::bigint, 0)`;
    const sets = groups.flatMap(([g, cols]) =>
      Object.keys(cols).map((c) => `"${c}" = CASE WHEN ${held(g)} < $2 THEN EXCLUDED."${c}" ELSE t."${c}" END`),
    );
    const versions = groups.map(([g]) => `'${g}', GREATEST(${held(g)}, $2)`).join(', ');
    const moved = groups.map(([g]) => `${held(g)} < $2`).join(' OR ');
    sql.set(
      s.contract.topic,
      `INSERT INTO ${table} AS t ("${cfg.keyColumn}", ${columns.map((c) => `"${c}"`).join(', ')}, "versions")
       VALUES ($1::${cfg.keyType}, ${params.join(', ')}, jsonb_build_object(${groups.map(([g]) => `'${g}', $2::bigint`).join(', ')}))
       ON CONFLICT ("${cfg.keyColumn}") DO UPDATE SET ${sets.join(', ')}, "versions" = t."versions" || jsonb_build_object(${versions})
       WHERE ${moved}
       RETURNING "${cfg.keyColumn}"`,
    );
  }
  const byTopic = new Map(cfg.sources.map((s) => [s.contract.topic, s]));

  const apply: Projection['apply'] = async (m, contract, payload, version) => {
    const source = byTopic.get(contract.topic);
    if (!source) throw new Error(`projection ${cfg.table} does not take ${contract.topic}`);
    if (!Number.isSafeInteger(version) || version < 1) throw new Error(`${contract.topic}: fact without a producer version`);
    const values = Object.values(source.groups).flatMap((cols) => Object.values(cols).map((f) => f(payload)));
    const rows: unknown[] = await m.query(sql.get(contract.topic)!, [source.key(payload), version, ...values]);
    return rows.length > 0;
  };

  const handlers: Record<string, EventHandler> = {};
  for (const s of cfg.sources) {
    // one row's upsert under the version rule: the same end state in any order, in parallel too
    handlers[s.contract.topic] = commutative(async (m, e: DomainEvent) => {
      await apply(m, s.contract, parsePayload(s.contract, e.payload), e.version);
    });
  }

  return {
    handlers,
    apply,
    async versions(m, key) {
      const rows: { versions: Record<string, number | string> }[] = await m.query(
        `SELECT "versions" FROM ${table} WHERE "${cfg.keyColumn}"::text = $1`,
        [key],
      );
      return Object.fromEntries(Object.entries(rows[0]?.versions ?? {}).map(([g, v]) => [g, Number(v)]));
    },
  };
}
