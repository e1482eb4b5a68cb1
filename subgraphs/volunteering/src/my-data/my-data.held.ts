import { ANOTHER_RESIDENT, asDocumentRows, type HeldData } from '@citypoints/federation';
import { SCHEMA, type VolunteeringRuntime } from '../runtime';

/** officials' identities and internal keys: not the resident's data */
const NOT_THEIRS = ['idempotency_key', 'entered_by', 'confirmed_by', 'resident_id', 'ledger_transaction_id', 'requester_id', 'primary_id', 'backup_id'];

/**
 * What volunteering holds about a resident (docs/my-data.md): their volunteer profile, every
 * service-hours line, the needs they asked for (their volunteers masked) and the needs they served
 * (the requester and the request's description left out: those are the requester's), the time
 * bank's points with every posting, gift and lot (the other party of a gift masked), and the
 * supermarket's debits of their points.
 */
export async function volunteeringHeld(rt: Pick<VolunteeringRuntime, 'ds' | 'ledger'>, residentId: string): Promise<HeldData> {
  const q = (sql: string) => rt.ds.query(sql, [residentId]) as Promise<Record<string, unknown>[]>;
  const [projection, profile, hours, asked, served, debits, ledger] = await Promise.all([
    q(`SELECT id, division_code, household_id FROM "${SCHEMA}".residents WHERE id = $1::uuid`),
    q(`SELECT skills, registered_at FROM "${SCHEMA}".volunteers WHERE resident_id = $1::uuid`),
    q(`SELECT * FROM "${SCHEMA}".service_hours WHERE resident_id = $1::uuid ORDER BY at, id`),
    q(`SELECT *, (primary_id IS NOT NULL) AS has_primary, (backup_id IS NOT NULL) AS has_backup FROM "${SCHEMA}".needs WHERE requester_id = $1::uuid ORDER BY created_at`),
    q(
      `SELECT id, category, title, division_code, window_start, window_end, status, hours, rating, created_at, started_at, completed_at, closed_at,
              CASE WHEN primary_id = $1::uuid THEN 'PRIMARY' ELSE 'BACKUP' END AS role
         FROM "${SCHEMA}".needs WHERE (primary_id = $1::uuid OR backup_id = $1::uuid) AND requester_id <> $1::uuid ORDER BY created_at`,
    ),
    q(`SELECT redemption_id, points, outcome, balance_after, decided_at FROM "${SCHEMA}".supermarket_debits WHERE resident_id = $1::uuid ORDER BY decided_at`),
    rt.ledger.holdings(rt.ds.manager, residentId, ['VOLUNTEER_POINTS']),
  ]);
  return {
    data: {
      registerProjection: asDocumentRows(projection)[0] ?? null,
      volunteerProfile: asDocumentRows(profile)[0] ?? null,
      serviceHours: asDocumentRows(hours, NOT_THEIRS),
      needsAsked: asDocumentRows(asked, [...NOT_THEIRS, 'has_primary', 'has_backup']).map((n, i) => ({
        ...n,
        volunteer: asked[i].has_primary ? ANOTHER_RESIDENT : null,
        backupVolunteer: asked[i].has_backup ? ANOTHER_RESIDENT : null,
      })),
      needsServed: asDocumentRows(served),
      points: ledger.accounts,
      supermarketDebits: asDocumentRows(debits),
    },
  };
}
