import { z } from 'zod';
import type { EntityManager } from 'typeorm';
import type { DomainEvent, EventHandler } from '@citypoints/events';
import { cityDate, isIsoDate } from '@citypoints/kit';
import { SCHEMA } from '../runtime';
import { regradeMany, type GradingDeps } from '../grading/grading.service';
import { schemeForYear } from '../scheme/scheme.service';
import { payloadOf } from '../organisations/projection.handlers';

const isoDay = z.string().refine(isIsoDate, 'not a YYYY-MM-DD date');
const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a timestamp');

const recordRecorded = z.object({ recordId: z.string().min(1), uscc: z.string().min(1), kind: z.string().min(1), occurredOn: isoDay, publicUntil: isoDay.nullable().optional() });
const statusChanged = z.object({ uscc: z.string().min(1), previous: z.string().nullable().optional(), status: z.string().min(1), changedAt: timestamp });
const recordRepaired = z.object({ recordId: z.string().min(1), uscc: z.string().min(1), kind: z.string() });

const BLACK = 'BLACK';

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
      `INSERT INTO "${SCHEMA}".credit_status_turns (event_id, uscc, previous, status, changed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [event.id, p.uscc, p.previous ?? null, p.status, changedAt],
    );
    if (p.status === BLACK && p.previous !== BLACK) {
      // a lift that arrived before this turn (events are not ordered) removes the line from the start
      const [lift]: { changed_at: Date }[] = await m.query(
        `SELECT changed_at FROM "${SCHEMA}".credit_status_turns WHERE uscc = $1 AND previous = $2 AND status <> $2 AND changed_at > $3 ORDER BY changed_at LIMIT 1`,
        [p.uscc, BLACK, changedAt],
      );
      const day = cityDate(changedAt);
      await applyToOrganisations(rt, m, event, {
        enterpriseUscc: p.uscc,
        year: Number(day.slice(0, 4)),
        effect: 'MEMBER_BLACKLISTED',
        recordKind: null,
        reference: day,
        sourceKey: `black:${changedAt.toISOString()}`,
        occurredAt: changedAt,
        removedAt: lift?.changed_at ?? null,
      });
    } else if (p.previous === BLACK && p.status !== BLACK) {
      const lifted: { organisation_uscc: string; year: number }[] = await m.query(
        // in a CTE so the driver hands back plain rows, as for a SELECT
        `WITH u AS (UPDATE "${SCHEMA}".member_effects SET removed_at = $3
           WHERE enterprise_uscc = $1 AND effect = $2 AND removed_at IS NULL AND occurred_at <= $3
           RETURNING organisation_uscc, year)
         SELECT organisation_uscc, year FROM u`,
        [p.uscc, 'MEMBER_BLACKLISTED', changedAt],
      );
      for (const year of new Set(lifted.map((l) => l.year))) {
        await regradeMany(rt, m, lifted.filter((l) => l.year === year).map((l) => l.organisation_uscc), year, `event:${event.id}`);
      }
    }
  },

  // a repaired penalty keeps its line (docs/domain/07-social-organisations.md removes only a lifted blacklisting); kept as history
  'enterprise-credit.record.repaired': async (m, event) => {
    const p = payloadOf(recordRepaired, event.topic, event.payload);
    await m.query(`UPDATE "${SCHEMA}".member_effects SET repaired_at = now() WHERE source_key = $1 AND repaired_at IS NULL`, [`record:${p.recordId}`]);
  },
});
