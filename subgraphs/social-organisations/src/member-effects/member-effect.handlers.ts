import { z } from 'zod';
import type { EntityManager } from 'typeorm';
import type { DomainEvent, EventHandler } from '@citypoints/events';
import { cityDate, isIsoDate } from '@citypoints/kit';
import { SCHEMA } from '../runtime';
import { regradeMany, type GradingDeps } from '../grading/grading.service';
import { schemeForYear } from '../scheme/scheme.service';
import { payloadOf } from '../organisations/projection.handlers';
import { blacklistingRemovedAt, isLift, isTurnToBlack, type StatusTurn } from './blacklisting.rules';

const isoDay = z.string().refine(isIsoDate, 'not a YYYY-MM-DD date');
const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a timestamp');

const recordRecorded = z.object({ recordId: z.string().min(1), uscc: z.string().min(1), kind: z.string().min(1), occurredOn: isoDay, publicUntil: isoDay.nullable().optional() });
const statusChanged = z.object({
  uscc: z.string().min(1),
  previous: z.string().nullable().optional(),
  status: z.string().min(1),
  changedAt: timestamp,
  /** why the status left BLACK: REPAIR or EXPIRY; absent from producers before the field */
  cause: z.string().nullable().optional(),
});
const recordRepaired = z.object({ recordId: z.string().min(1), uscc: z.string().min(1), kind: z.string() });


async function organisationsOf(m: EntityManager, enterpriseUscc: string): Promise<string[]> {
  const rows: { organisation_uscc: string }[] = await m.query(
    `SELECT organisation_uscc FROM "${SCHEMA}".memberships WHERE enterprise_uscc = $1 ORDER BY organisation_uscc COLLATE "C"`,
    [enterpriseUscc],
  );
  return rows.map((r) => r.organisation_uscc);
}

interface EffectInput {
  enterpriseUscc: string;
  year: number;
  effect: 'MEMBER_PENALTY' | 'MEMBER_BLACKLISTED';
  recordKind: string | null;
  reference: string;
  sourceKey: string;
  occurredAt: Date;
  removedAt: Date | null;
}

/** One line per organisation the enterprise belongs to, once per source however often the news comes. */
async function applyToOrganisations(rt: GradingDeps, m: EntityManager, event: DomainEvent, e: EffectInput): Promise<void> {
  const inserted: { organisation_uscc: string }[] = await m.query(
    `INSERT INTO "${SCHEMA}".member_effects (organisation_uscc, enterprise_uscc, year, effect, record_kind, reference, source_key, occurred_at, event_id, removed_at)
     SELECT org, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM unnest($1::text[]) AS org
     ON CONFLICT (organisation_uscc, source_key) DO NOTHING RETURNING organisation_uscc`,
    [await organisationsOf(m, e.enterpriseUscc), e.enterpriseUscc, e.year, e.effect, e.recordKind, e.reference, e.sourceKey, e.occurredAt, event.id, e.removedAt],
  );
  await regradeMany(rt, m, inserted.map((r) => r.organisation_uscc), e.year, `event:${event.id}`);
}

/** The status turns and repair announcements held for one enterprise. */
async function creditFacts(m: EntityManager, uscc: string): Promise<{ turns: StatusTurn[]; repairs: Date[] }> {
  const turns: { previous: string | null; status: string; changed_at: Date; cause: string | null; event_at: Date }[] = await m.query(
    `SELECT previous, status, changed_at, cause, event_at FROM "${SCHEMA}".credit_status_turns WHERE uscc = $1 ORDER BY changed_at`,
    [uscc],
  );
  const repairs: { event_at: Date }[] = await m.query(`SELECT event_at FROM "${SCHEMA}".credit_repairs WHERE uscc = $1`, [uscc]);
  return {
    turns: turns.map((t) => ({ previous: t.previous, status: t.status, changedAt: t.changed_at, cause: t.cause, eventAt: t.event_at })),
    repairs: repairs.map((r) => r.event_at),
  };
}

/**
 * Re-derives from the facts held whether each blacklisting line of the enterprise still counts,
 * whatever order the turns and repairs arrived in, and regrades the organisations whose lines changed.
 */
async function recomputeBlacklistings(rt: GradingDeps, m: EntityManager, uscc: string, eventId: string): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtext('so-blacklistings:' || $1))`, [uscc]);
  const facts = await creditFacts(m, uscc);
  const lines: { id: string; organisation_uscc: string; year: number; occurred_at: Date; removed_at: Date | null }[] = await m.query(
    `SELECT id, organisation_uscc, year, occurred_at, removed_at FROM "${SCHEMA}".member_effects WHERE enterprise_uscc = $1 AND effect = 'MEMBER_BLACKLISTED'`,
    [uscc],
  );
  const touched = new Map<number, string[]>();
  for (const line of lines) {
    const turn = facts.turns.find((t) => t.changedAt.getTime() === line.occurred_at.getTime() && isTurnToBlack(t));
    if (!turn) continue;
    const removedAt = blacklistingRemovedAt(turn, facts.turns, facts.repairs);
    if ((removedAt?.getTime() ?? null) === (line.removed_at?.getTime() ?? null)) continue;
    await m.query(`UPDATE "${SCHEMA}".member_effects SET removed_at = $2 WHERE id = $1`, [line.id, removedAt]);
    touched.set(line.year, [...(touched.get(line.year) ?? []), line.organisation_uscc]);
  }
  for (const [year, usccs] of [...touched].sort(([a], [b]) => a - b)) await regradeMany(rt, m, usccs, year, `event:${eventId}`);
}

/** enterprise-credit's events, applied with the runtime's clock and grading ledger. */
export const enterpriseCreditHandlers = (rt: GradingDeps): Record<string, EventHandler> => ({
  'enterprise-credit.record.recorded': async (m, event) => {
    const p = payloadOf(recordRecorded, event.topic, event.payload);
    const year = Number(p.occurredOn.slice(0, 4));
    const scheme = await schemeForYear(m, year).catch(() => null);
    if (!scheme || !(p.kind in scheme.definition.memberEffects.recordKinds)) return;
    await applyToOrganisations(rt, m, event, {
      enterpriseUscc: p.uscc,
      year,
      effect: 'MEMBER_PENALTY',
      recordKind: p.kind,
      reference: p.recordId,
      sourceKey: `record:${p.recordId}`,
      occurredAt: new Date(p.occurredOn + 'T00:00:00+08:00'),
      removedAt: null,
    });
  },

  'enterprise-credit.status.changed': async (m, event) => {
    const p = payloadOf(statusChanged, event.topic, event.payload);
    const changedAt = new Date(p.changedAt);
    await m.query(
      `INSERT INTO "${SCHEMA}".credit_status_turns (event_id, uscc, previous, status, changed_at, cause, event_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [event.id, p.uscc, p.previous ?? null, p.status, changedAt, p.cause ?? null, new Date(event.createdAt)],
    );
    if (isTurnToBlack(p)) {
      // a repair that arrived before this turn (events are not ordered) removes the line from the start
      const facts = await creditFacts(m, p.uscc);
      const turn = facts.turns.find((t) => t.changedAt.getTime() === changedAt.getTime() && isTurnToBlack(t))!;
      const day = cityDate(changedAt);
      await applyToOrganisations(rt, m, event, {
        enterpriseUscc: p.uscc,
        year: Number(day.slice(0, 4)),
        effect: 'MEMBER_BLACKLISTED',
        recordKind: null,
        reference: day,
        sourceKey: `black:${changedAt.toISOString()}`,
        occurredAt: changedAt,
        removedAt: blacklistingRemovedAt(turn, facts.turns, facts.repairs),
      });
    } else if (isLift(p)) {
      await recomputeBlacklistings(rt, m, p.uscc, event.id);
    }
  },

  // a repaired penalty keeps its line (docs/domain/07-social-organisations.md removes only a blacklisting lifted by a repair); kept as history
  'enterprise-credit.record.repaired': async (m, event) => {
    const p = payloadOf(recordRepaired, event.topic, event.payload);
    await m.query(`UPDATE "${SCHEMA}".member_effects SET repaired_at = now() WHERE source_key = $1 AND repaired_at IS NULL`, [`record:${p.recordId}`]);
    await m.query(`INSERT INTO "${SCHEMA}".credit_repairs (event_id, record_id, uscc, kind, event_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, [
      event.id,
      p.recordId,
      p.uscc,
      p.kind,
      new Date(event.createdAt),
    ]);
    await recomputeBlacklistings(rt, m, p.uscc, event.id);
  },
});
