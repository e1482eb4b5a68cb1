import type { EntityManager } from 'typeorm';
import { CREDIT_TOPICS, parsePayload, type EventHandler } from '@citypoints/events';
import { cityDate } from '@citypoints/kit';
import { SCHEMA } from '../runtime';
import { regradeMany, type GradingDeps } from '../grading/grading.service';
import { schemeForYear } from '../scheme/scheme.service';
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

/**
 * The lines an enterprise's credit puts on the organisations it belongs to, derived from the
 * facts held — its memberships, its records (with their repairs) and its status turns — never
 * from the order they arrived in: a penalty line per counting record and organisation, and a
 * blacklisting line per turn to BLACK, removed when a repair lifts it (blacklisting.rules). Called whenever any
 * of those facts arrives; lines that differ from the derived set are inserted, corrected or
 * dropped, and the organisations touched are regraded.
 */
export async function recomputeMemberEffects(rt: GradingDeps, m: EntityManager, enterpriseUscc: string, eventId: string): Promise<void> {
  // one enterprise's facts are derived by one transaction at a time
  await m.query(`SELECT pg_advisory_xact_lock(hashtext('so-member-effects:' || $1))`, [enterpriseUscc]);
  const [orgRows, records, turnRows, repairRows, existing]: [
    { organisation_uscc: string }[],
    { record_id: string; kind: string; occurred_on: string | null; repaired_at: Date | null }[],
    { previous: string | null; status: string; changed_at: Date; cause: string | null; event_at: Date }[],
    { event_at: Date }[],
    (Line & { id: string })[],
  ] = await Promise.all([
    m.query(`SELECT organisation_uscc FROM "${SCHEMA}".memberships WHERE enterprise_uscc = $1 ORDER BY organisation_uscc COLLATE "C"`, [enterpriseUscc]),
    m.query(`SELECT record_id, kind, to_char(occurred_on, 'YYYY-MM-DD') AS occurred_on, repaired_at FROM "${SCHEMA}".credit_record_facts WHERE uscc = $1 ORDER BY record_id`, [enterpriseUscc]),
    m.query(`SELECT previous, status, changed_at, cause, event_at FROM "${SCHEMA}".credit_status_turns WHERE uscc = $1 ORDER BY changed_at`, [enterpriseUscc]),
    m.query(`SELECT event_at FROM "${SCHEMA}".credit_repairs WHERE uscc = $1`, [enterpriseUscc]),
    m.query(
      `SELECT id, organisation_uscc, year, effect, record_kind, reference, source_key, occurred_at, removed_at, repaired_at FROM "${SCHEMA}".member_effects WHERE enterprise_uscc = $1`,
      [enterpriseUscc],
    ),
  ]);
  const orgs = orgRows.map((r) => r.organisation_uscc);
  const turns: StatusTurn[] = turnRows.map((t) => ({ previous: t.previous, status: t.status, changedAt: t.changed_at, cause: t.cause, eventAt: t.event_at }));
  const repairs = repairRows.map((r) => r.event_at);
  const wanted: Omit<Line, 'organisation_uscc'>[] = [];
  for (const r of records) {
    if (!r.occurred_on) continue;
    const year = Number(r.occurred_on.slice(0, 4));
    const scheme = await schemeForYear(m, year).catch(() => null);
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
  const touched = new Map<number, Set<string>>();
  const touch = (l: { organisation_uscc: string; year: number }) => touched.set(l.year, (touched.get(l.year) ?? new Set()).add(l.organisation_uscc));

  for (const old of existing) {
    const key = `${old.organisation_uscc}|${old.source_key}`;
    const want = derived.get(key);
    derived.delete(key);
    if (!want) {
      await m.query(`DELETE FROM "${SCHEMA}".member_effects WHERE id = $1`, [old.id]);
      touch(old);
    } else if (!sameTime(old.removed_at, want.removed_at) || !sameTime(old.repaired_at, want.repaired_at)) {
      await m.query(`UPDATE "${SCHEMA}".member_effects SET removed_at = $2, repaired_at = $3 WHERE id = $1`, [old.id, want.removed_at, want.repaired_at]);
      touch(want);
    }
  }
  const added = [...derived.values()];
  if (added.length) {
    await m.query(
      `INSERT INTO "${SCHEMA}".member_effects (organisation_uscc, enterprise_uscc, year, effect, record_kind, reference, source_key, occurred_at, event_id, removed_at, repaired_at)
       SELECT l.org, $2, l.year, l.effect, l.kind, l.reference, l.source_key, l.occurred_at, $3, l.removed_at, l.repaired_at
       FROM unnest($1::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
         AS l(org, year, effect, kind, reference, source_key, occurred_at, removed_at, repaired_at)
       ON CONFLICT (organisation_uscc, source_key) DO NOTHING`,
      [
        added.map((l) => l.organisation_uscc),
        enterpriseUscc,
        eventId,
        added.map((l) => l.year),
        added.map((l) => l.effect),
        added.map((l) => l.record_kind),
        added.map((l) => l.reference),
        added.map((l) => l.source_key),
        added.map((l) => l.occurred_at),
        added.map((l) => l.removed_at),
        added.map((l) => l.repaired_at),
      ],
    );
    for (const l of added) touch(l);
  }
  for (const [year, usccs] of [...touched].sort(([a], [b]) => a - b)) await regradeMany(rt, m, [...usccs], year, `event:${eventId}`);
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
