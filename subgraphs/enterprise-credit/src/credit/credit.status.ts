import type { EntityManager } from 'typeorm';
import { addMonths, cityDate } from '@citypoints/kit';
import { SCHEMA, type EnterpriseCreditRuntime } from '../runtime';
import { publishStatusChanges, type StatusChange } from '../events';
import { creditSchemeOn, type CreditScheme } from './credit.scheme';

/**
 * Recomputes the credit status of the given enterprises (docs/domain/05-enterprise-credit.md, thresholds from the
 * scheme) in one statement, stores the ones that changed and publishes each change through the
 * outbox. `usccs = null` means every enterprise with a record or a stored status.
 */
export async function recomputeStatuses(
  rt: Pick<EnterpriseCreditRuntime, 'publisher'>,
  m: EntityManager,
  usccs: string[] | null,
  at: Date,
  scheme?: CreditScheme,
): Promise<StatusChange[]> {
  const day = cityDate(at);
  const s = scheme ?? (await creditSchemeOn(m, day));
  if (usccs?.length) {
    // two transactions changing one enterprise take turns here, so the second sees the first's
    // status and no change is published twice; sorted, so lanes never wait on each other in a circle
    await m.query(
      `SELECT count(pg_advisory_xact_lock(hashtext('enterprise-credit-status:' || u))) FROM (SELECT DISTINCT unnest($1::text[]) AS u ORDER BY 1) x`,
      [usccs],
    );
  }
  const st = s.definition.status;
  const negativeKinds = Object.entries(s.definition.kinds).filter(([, r]) => r.negative).map(([k]) => k);
  const targets = usccs
    ? `SELECT DISTINCT unnest($1::text[]) AS uscc`
    : // the passing of time changes a status only through records (and risk levels change only in scoring)
      `SELECT uscc FROM (SELECT uscc FROM "${SCHEMA}".credit_records UNION SELECT uscc FROM "${SCHEMA}".credit_status) a
       WHERE cardinality($1::text[]) = 0`;
  const rows: { uscc: string; status: string; previous: string }[] = await m.query(
    `WITH t AS (${targets}),
     rec AS (
       SELECT r.uscc,
         bool_or(r.kind = ANY($3) AND r.active) AS black,
         count(*) FILTER (WHERE r.kind = ANY($4) AND r.active) AS penalties,
         bool_or(r.kind = ANY($6) AND NOT r.repaired AND r.occurred_on <= $2::date AND r.occurred_on > $7::date
                 AND (r.public_until IS NULL OR r.public_until > $2::date)) AS honoured,
         bool_or(r.kind = ANY($8) AND NOT r.repaired AND r.occurred_on <= $2::date AND (r.public_until IS NULL OR r.public_until > $9::date)) AS blemished
       FROM (SELECT c.*, (NOT c.repaired AND c.occurred_on <= $2::date AND (c.public_until IS NULL OR c.public_until > $2::date)) AS active
             FROM "${SCHEMA}".credit_records c WHERE c.uscc IN (SELECT uscc FROM t)) r
       GROUP BY r.uscc),
     risk AS (
       SELECT t.uscc, l.level FROM t
       CROSS JOIN LATERAL (SELECT x.level FROM "${SCHEMA}".labour_risk_scores x WHERE x.uscc = t.uscc ORDER BY x.period DESC LIMIT 1) l),
     next AS (
       SELECT t.uscc,
         CASE WHEN rec.black THEN 'BLACK'
              WHEN risk.level = ANY($10) OR coalesce(rec.penalties, 0) >= $5 THEN 'WATCH'
              WHEN rec.honoured AND NOT rec.blemished AND (risk.level IS NULL OR risk.level = ANY($11)) THEN 'RED'
              ELSE 'NORMAL' END AS status
       FROM t LEFT JOIN rec USING (uscc) LEFT JOIN risk USING (uscc)),
     cmp AS (SELECT n.uscc, n.status, coalesce(c.status, 'NORMAL') AS previous FROM next n LEFT JOIN "${SCHEMA}".credit_status c USING (uscc)),
     saved AS (
       INSERT INTO "${SCHEMA}".credit_status (uscc, status, since, computed_at)
       SELECT uscc, status, $12, $12 FROM cmp WHERE status <> previous
       ON CONFLICT (uscc) DO UPDATE SET status = EXCLUDED.status, since = EXCLUDED.since, computed_at = EXCLUDED.computed_at
       RETURNING uscc)
     SELECT cmp.uscc, cmp.status, cmp.previous FROM cmp JOIN saved USING (uscc) ORDER BY cmp.uscc`,
    [
      usccs ?? [],
      day,
      st.blackKinds,
      st.watchPenaltyKinds,
      st.watchPenaltyCount,
      st.redKinds,
      addMonths(day, -st.redWindowMonths),
      negativeKinds,
      addMonths(day, -st.redCleanMonths),
      st.watchRiskLevels,
      st.redRiskLevels,
      at,
    ],
  );
  const changes = rows.map((r) => ({ uscc: r.uscc, previous: r.previous, status: r.status, changedAt: at.toISOString() }));
  await publishStatusChanges(rt.publisher, m, changes);
  return changes;
}
