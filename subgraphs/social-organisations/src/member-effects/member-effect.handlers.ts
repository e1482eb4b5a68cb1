import type { EntityManager } from 'typeorm';
import { CREDIT_TOPICS, parsePayload, type DomainEvent, type EventHandler } from '@citypoints/events';
import { cityDate } from '@citypoints/kit';
import { SCHEMA } from '../runtime';
import { regradeMany, type GradingDeps } from '../grading/grading.service';
import { schemeForYear } from '../scheme/scheme.service';
import type { GradingScheme } from '../scheme/scheme.rules';
import { blacklistingRemovedAt, isTurnToBlack, type StatusTurn } from './blacklisting.rules';

type Effect = 'MEMBER_PENALTY' | 'MEMBER_BLACKLISTED';

interface Line {
  organisation_uscc: string;
  year: number;
  effect: Effect;
  record_kind: string | null;
  reference: string;
  source_key: string;
  occurred_at: Date;
  removed_at: Date | null;
  repaired_at: Date | null;
}

const sameTime = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The lines an enterprise's credit puts on the organisations it belongs to, derived from the
 * facts held — its memberships, its records (with their repairs) and its status turns — never
 * from the order they arrived in: a penalty line per counting record and organisation, and a
 * blacklisting line per turn to BLACK, removed when a repair lifts it (blacklisting.rules). Called whenever any
 * of those facts arrives; lines that differ from the derived set are inserted, corrected or
 * dropped, and the organisations touched are regraded.
 */
export async function recomputeMemberEffects(rt: GradingDeps, m: EntityManager, enterpriseUscc: string, eventId: string): Promise<void> {
  await recomputeMemberEffectsMany(rt, m, [{ uscc: enterpriseUscc, eventId }], `event:${eventId}`);
}

const groupBy = <T, K>(rows: T[], key: (r: T) => K) => {
  const map = new Map<K, T[]>();
  for (const r of rows) {
    const list = map.get(key(r));
    if (list) list.push(r);
    else map.set(key(r), [r]);
  }
  return (k: K) => map.get(k) ?? [];
};

/**
 * recomputeMemberEffects for many enterprises at once, in a fixed number of statements: each
 * enterprise's facts read together, its lines derived as for one, the differences written in one
 * statement each (dropped, corrected, added), and every organisation touched regraded once per
 * year. `eventId` of an enterprise marks the lines added for it; `cause` names the change on the
 * grading postings (an event id, a batch of events).
 */
export async function recomputeMemberEffectsMany(rt: GradingDeps, m: EntityManager, enterprises: readonly { uscc: string; eventId: string }[], cause: string): Promise<void> {
  const eventOf = new Map(enterprises.map((e) => [e.uscc, e.eventId]));
  const usccs = [...eventOf.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (!usccs.length) return;
  // one enterprise's facts are derived by one transaction at a time (locks taken in one order)
  await m.query(`SELECT pg_advisory_xact_lock(hashtext('so-member-effects:' || u)) FROM (SELECT u FROM unnest($1::text[]) AS u ORDER BY u COLLATE "C") s`, [usccs]);
  // every fact of the batch's enterprises in one statement, a row per fact tagged by its kind
  const facts: {
    k: number;
    uscc: string;
    s1: string | null;
    s2: string | null;
    s3: string | null;
    s4: string | null;
    s5: string | null;
    s6: string | null;
    n1: number | null;
    t1: Date | null;
    t2: Date | null;
    t3: Date | null;
  }[] = await m.query(
    `SELECT 1 AS k, enterprise_uscc AS uscc, organisation_uscc AS s1, NULL AS s2, NULL AS s3, NULL AS s4, NULL AS s5, NULL AS s6, NULL::int AS n1,
            NULL::timestamptz AS t1, NULL::timestamptz AS t2, NULL::timestamptz AS t3
       FROM "${SCHEMA}".memberships WHERE enterprise_uscc = ANY($1::text[])
     UNION ALL
     SELECT 2, uscc, record_id, kind, to_char(occurred_on, 'YYYY-MM-DD'), NULL, NULL, NULL, NULL, repaired_at, NULL, NULL
       FROM "${SCHEMA}".credit_record_facts WHERE uscc = ANY($1::text[])
     UNION ALL
     SELECT 3, uscc, previous, status, cause, NULL, NULL, NULL, NULL, changed_at, event_at, NULL
       FROM "${SCHEMA}".credit_status_turns WHERE uscc = ANY($1::text[])
     UNION ALL
     SELECT 4, uscc, NULL, NULL, NULL, NULL, NULL, NULL, NULL, event_at, NULL, NULL
       FROM "${SCHEMA}".credit_repairs WHERE uscc = ANY($1::text[])
     UNION ALL
     SELECT 5, enterprise_uscc, id::text, organisation_uscc, effect, record_kind, reference, source_key, year, occurred_at, removed_at, repaired_at
       FROM "${SCHEMA}".member_effects WHERE enterprise_uscc = ANY($1::text[])`,
    [usccs],
  );
  const ofKind = (k: number) => facts.filter((f) => f.k === k);
  const orgRows = ofKind(1)
    .map((f) => ({ enterprise_uscc: f.uscc, organisation_uscc: f.s1! }))
    .sort((a, b) => (a.organisation_uscc < b.organisation_uscc ? -1 : a.organisation_uscc > b.organisation_uscc ? 1 : 0));
  const recordRows = ofKind(2).map((f) => ({ uscc: f.uscc, record_id: f.s1!, kind: f.s2!, occurred_on: f.s3, repaired_at: f.t1 }));
  const turnRows = ofKind(3)
    .map((f) => ({ uscc: f.uscc, previous: f.s1, status: f.s2!, cause: f.s3, changed_at: f.t1!, event_at: f.t2! }))
    .sort((a, b) => a.changed_at.getTime() - b.changed_at.getTime());
  const repairRows = ofKind(4).map((f) => ({ uscc: f.uscc, event_at: f.t1! }));
  const existingRows: (Line & { id: string; enterprise_uscc: string })[] = ofKind(5).map((f) => ({
    id: f.s1!,
    enterprise_uscc: f.uscc,
    organisation_uscc: f.s2!,
    effect: f.s3 as Effect,
    record_kind: f.s4,
    reference: f.s5!,
    source_key: f.s6!,
    year: f.n1!,
    occurred_at: f.t1!,
    removed_at: f.t2,
    repaired_at: f.t3,
  }));
  const [orgsOf, recordsOf, turnsOf, repairsOf, existingOf] = [
    groupBy(orgRows, (r) => r.enterprise_uscc),
    groupBy(recordRows, (r) => r.uscc),
    groupBy(turnRows, (r) => r.uscc),
    groupBy(repairRows, (r) => r.uscc),
    groupBy(existingRows, (r) => r.enterprise_uscc),
  ];
  // the scheme of each year a record falls in, read once for the batch
  const schemes = new Map<number, Promise<GradingScheme | null>>();
  const schemeOf = (year: number) => {
    if (!schemes.has(year)) schemes.set(year, schemeForYear(m, year).catch(() => null));
    return schemes.get(year)!;
  };

  const dropped: string[] = [];
  const corrected: { id: string; removed_at: Date | null; repaired_at: Date | null }[] = [];
  const added: (Line & { enterprise_uscc: string; event_id: string })[] = [];
  const touched = new Map<number, Set<string>>();
  const touch = (l: { organisation_uscc: string; year: number }) => touched.set(l.year, (touched.get(l.year) ?? new Set()).add(l.organisation_uscc));

  for (const enterpriseUscc of usccs) {
    const orgs = orgsOf(enterpriseUscc).map((r) => r.organisation_uscc);
    const turns: StatusTurn[] = turnsOf(enterpriseUscc).map((t) => ({ previous: t.previous, status: t.status, changedAt: t.changed_at, cause: t.cause, eventAt: t.event_at }));
    const repairs = repairsOf(enterpriseUscc).map((r) => r.event_at);
    const wanted: Omit<Line, 'organisation_uscc'>[] = [];
    for (const r of recordsOf(enterpriseUscc)) {
      if (!r.occurred_on) continue;
      const year = Number(r.occurred_on.slice(0, 4));
      const scheme = await schemeOf(year);
      if (!scheme || !(r.kind in scheme.definition.memberEffects.recordKinds)) continue;
      wanted.push({
        year,
        effect: 'MEMBER_PENALTY',
        record_kind: r.kind,
        reference: r.record_id,
        source_key: `record:${r.record_id}`,
        occurred_at: new Date(r.occurred_on + 'T00:00:00+08:00'),
        removed_at: null,
        repaired_at: r.repaired_at,
      });
    }
    for (const t of turns) {
      if (!isTurnToBlack(t)) continue;
      const day = cityDate(t.changedAt);
      wanted.push({
        year: Number(day.slice(0, 4)),
        effect: 'MEMBER_BLACKLISTED',
        record_kind: null,
        reference: day,
        source_key: `black:${t.changedAt.toISOString()}`,
        occurred_at: t.changedAt,
        removed_at: blacklistingRemovedAt(t, turns, repairs),
        repaired_at: null,
      });
    }
    const derived = new Map<string, Line>();
    for (const org of orgs) for (const w of wanted) derived.set(`${org}|${w.source_key}`, { ...w, organisation_uscc: org });
    for (const old of existingOf(enterpriseUscc)) {
      const key = `${old.organisation_uscc}|${old.source_key}`;
      const want = derived.get(key);
      derived.delete(key);
      if (!want) {
        dropped.push(old.id);
        touch(old);
      } else if (!sameTime(old.removed_at, want.removed_at) || !sameTime(old.repaired_at, want.repaired_at)) {
        corrected.push({ id: old.id, removed_at: want.removed_at, repaired_at: want.repaired_at });
        touch(want);
      }
    }
    for (const l of derived.values()) {
      added.push({ ...l, enterprise_uscc: enterpriseUscc, event_id: eventOf.get(enterpriseUscc)! });
      touch(l);
    }
  }

  const regrades = [...touched].sort(([a], [b]) => a - b).map(([year, orgs]) => ({ year, orgs: [...orgs].sort(byCodeUnits) }));
  const writes = dropped.length + corrected.length + added.length > 0;
  if (writes) {
    // the differences in one statement (their rows are disjoint: one line per organisation and
    // source), which then takes the grading locks of the organisations touched, in the order
    // every regrade takes them (year, then USCC), for the regrade statement that follows
    await m.query(
      `WITH dropped AS (
         DELETE FROM "${SCHEMA}".member_effects WHERE id = ANY($1::uuid[])
       ), corrected AS (
         UPDATE "${SCHEMA}".member_effects e SET removed_at = x.removed_at, repaired_at = x.repaired_at
           FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS x(id, removed_at, repaired_at) WHERE e.id = x.id
       ), added AS (
         INSERT INTO "${SCHEMA}".member_effects (organisation_uscc, enterprise_uscc, year, effect, record_kind, reference, source_key, occurred_at, event_id, removed_at, repaired_at)
         SELECT l.org, l.enterprise, l.year, l.effect, l.kind, l.reference, l.source_key, l.occurred_at, l.event_id, l.removed_at, l.repaired_at
         FROM unnest($5::text[], $6::text[], $7::int[], $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::uuid[], $14::timestamptz[], $15::timestamptz[])
           AS l(org, enterprise, year, effect, kind, reference, source_key, occurred_at, event_id, removed_at, repaired_at)
         ON CONFLICT (organisation_uscc, source_key) DO NOTHING
       )
       SELECT count(pg_advisory_xact_lock(hashtext('so-grading:' || u || ':' || y::text))) AS locked
         FROM (SELECT u, y FROM unnest($16::text[], $17::int[]) AS t(u, y) ORDER BY y, u COLLATE "C") s`,
      [
        dropped,
        corrected.map((c) => c.id),
        corrected.map((c) => c.removed_at),
        corrected.map((c) => c.repaired_at),
        added.map((l) => l.organisation_uscc),
        added.map((l) => l.enterprise_uscc),
        added.map((l) => l.year),
        added.map((l) => l.effect),
        added.map((l) => l.record_kind),
        added.map((l) => l.reference),
        added.map((l) => l.source_key),
        added.map((l) => l.occurred_at),
        added.map((l) => l.event_id),
        added.map((l) => l.removed_at),
        added.map((l) => l.repaired_at),
        regrades.flatMap((r) => r.orgs),
        regrades.flatMap((r) => r.orgs.map(() => r.year)),
      ],
    );
  }
  for (const { year, orgs } of regrades) await regradeMany(rt, m, orgs, year, cause, { scheme: (await schemes.get(year)) ?? undefined, locked: writes });
}

/** enterprise-credit's events, applied with the runtime's clock and grading ledger. */
export const enterpriseCreditHandlers = (rt: GradingDeps): Record<string, EventHandler> => ({
  [CREDIT_TOPICS.recordRecorded.topic]: async (m, event) => {
    const p = parsePayload(CREDIT_TOPICS.recordRecorded, event.payload);
    await m.query(
      `INSERT INTO "${SCHEMA}".credit_record_facts (record_id, uscc, kind, occurred_on) VALUES ($1, $2, $3, $4)
       ON CONFLICT (record_id) DO UPDATE SET kind = EXCLUDED.kind, occurred_on = EXCLUDED.occurred_on`,
      [p.recordId, p.uscc, p.kind, p.occurredOn],
    );
    await recomputeMemberEffects(rt, m, p.uscc, event.id);
  },

  [CREDIT_TOPICS.statusChanged.topic]: async (m, event) => {
    const p = parsePayload(CREDIT_TOPICS.statusChanged, event.payload);
    await m.query(
      `INSERT INTO "${SCHEMA}".credit_status_turns (event_id, uscc, previous, status, changed_at, cause, event_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [event.id, p.uscc, p.previous ?? null, p.status, new Date(p.changedAt), p.cause ?? null, new Date(event.createdAt)],
    );
    await recomputeMemberEffects(rt, m, p.uscc, event.id);
  },

  // a repaired penalty keeps its line, marked repaired (docs/domain/07-social-organisations.md removes only a blacklisting lifted by a repair)
  [CREDIT_TOPICS.recordRepaired.topic]: async (m, event) => {
    const p = parsePayload(CREDIT_TOPICS.recordRepaired, event.payload);
    await m.query(
      `INSERT INTO "${SCHEMA}".credit_record_facts (record_id, uscc, kind, repaired_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (record_id) DO UPDATE SET repaired_at = EXCLUDED.repaired_at`,
      [p.recordId, p.uscc, p.kind, event.createdAt],
    );
    // the repair's time tells a repair's lift of a blacklisting from an expiry (blacklisting.rules)
    await m.query(`INSERT INTO "${SCHEMA}".credit_repairs (event_id, record_id, uscc, kind, event_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, [
      event.id,
      p.recordId,
      p.uscc,
      p.kind,
      new Date(event.createdAt),
    ]);
    await recomputeMemberEffects(rt, m, p.uscc, event.id);
  },
});

/**
 * A batch of enterprise-credit's events (already claimed in the inbox, in delivery order) in one
 * transaction: their facts written a statement per run of one topic, then each enterprise they
 * name recomputed once from all its facts (recomputeMemberEffectsMany) and the organisations
 * touched regraded once. The lines depend on the facts only, never on their order, so the result
 * is the one the events give applied one by one.
 */
export async function applyEnterpriseCreditEvents(rt: GradingDeps, m: EntityManager, events: readonly DomainEvent[]): Promise<void> {
  const named = new Map<string, string>();
  const runs: DomainEvent[][] = [];
  for (const e of events) {
    const last = runs[runs.length - 1];
    if (last && last[0].topic === e.topic) last.push(e);
    else runs.push([e]);
  }
  // a record upserted twice in one statement would be an error: the last of a run wins, as one by one
  const lastPer = <T>(rows: T[], key: (r: T) => string) => [...new Map(rows.map((r) => [key(r), r])).values()];
  for (const run of runs) {
    const topic = run[0].topic;
    if (topic === CREDIT_TOPICS.recordRecorded.topic) {
      const ps = lastPer(run.map((e) => parsePayload(CREDIT_TOPICS.recordRecorded, e.payload)), (p) => p.recordId);
      await m.query(
        `INSERT INTO "${SCHEMA}".credit_record_facts (record_id, uscc, kind, occurred_on)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[])
         ON CONFLICT (record_id) DO UPDATE SET kind = EXCLUDED.kind, occurred_on = EXCLUDED.occurred_on`,
        [ps.map((p) => p.recordId), ps.map((p) => p.uscc), ps.map((p) => p.kind), ps.map((p) => p.occurredOn)],
      );
      for (const e of run) named.set(parsePayload(CREDIT_TOPICS.recordRecorded, e.payload).uscc, e.id);
    } else if (topic === CREDIT_TOPICS.statusChanged.topic) {
      const ps = run.map((e) => ({ e, p: parsePayload(CREDIT_TOPICS.statusChanged, e.payload) }));
      await m.query(
        `INSERT INTO "${SCHEMA}".credit_status_turns (event_id, uscc, previous, status, changed_at, cause, event_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::timestamptz[]) ON CONFLICT DO NOTHING`,
        [ps.map(({ e }) => e.id), ps.map(({ p }) => p.uscc), ps.map(({ p }) => p.previous ?? null), ps.map(({ p }) => p.status),
          ps.map(({ p }) => new Date(p.changedAt)), ps.map(({ p }) => p.cause ?? null), ps.map(({ e }) => new Date(e.createdAt))],
      );
      for (const { e, p } of ps) named.set(p.uscc, e.id);
    } else if (topic === CREDIT_TOPICS.recordRepaired.topic) {
      const ps = run.map((e) => ({ e, p: parsePayload(CREDIT_TOPICS.recordRepaired, e.payload) }));
      const facts = lastPer(ps, ({ p }) => p.recordId);
      await m.query(
        `INSERT INTO "${SCHEMA}".credit_record_facts (record_id, uscc, kind, repaired_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
         ON CONFLICT (record_id) DO UPDATE SET repaired_at = EXCLUDED.repaired_at`,
        [facts.map(({ p }) => p.recordId), facts.map(({ p }) => p.uscc), facts.map(({ p }) => p.kind), facts.map(({ e }) => e.createdAt)],
      );
      await m.query(
        `INSERT INTO "${SCHEMA}".credit_repairs (event_id, record_id, uscc, kind, event_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) ON CONFLICT DO NOTHING`,
        [ps.map(({ e }) => e.id), ps.map(({ p }) => p.recordId), ps.map(({ p }) => p.uscc), ps.map(({ p }) => p.kind), ps.map(({ e }) => new Date(e.createdAt))],
      );
      for (const { e, p } of ps) named.set(p.uscc, e.id);
    } else {
      throw new Error(`not an enterprise-credit event: ${topic}`);
    }
  }
  if (!events.length) return;
  // the batch's grading postings are keyed by its first and last event, which no other batch shares
  const cause = events.length === 1 ? `event:${events[0].id}` : `events:${events[0].id}..${events[events.length - 1].id}`;
  await recomputeMemberEffectsMany(rt, m, [...named].map(([uscc, eventId]) => ({ uscc, eventId })), cause);
}
