import { asDocumentRows, type HeldData } from '@citypoints/federation';
import { SCHEMA } from '../context';
import type { SettlementRuntime } from '../runtime';

/** who filed or decided a step: an official's identity, not the resident's data */
const OFFICIALS = ['issued_by', 'requested_by', 'answered_by', 'idempotency_key', 'idempotency_caller'];

/**
 * What settlement holds about a resident (docs/my-data.md): their school applications with their
 * lines and placement, hukou applications with their stages and rechecks, talent cards, bars on
 * applying, and the projection of their register entry.
 */
export async function settlementHeld(rt: Pick<SettlementRuntime, 'ds'>, residentId: string): Promise<HeldData> {
  const q = (sql: string) => rt.ds.query(sql, [residentId]) as Promise<Record<string, unknown>[]>;
  const [projection, school, results, schoolRechecks, household, stages, householdRechecks, talent, bars] = await Promise.all([
    q(`SELECT id, name_masked, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, division_code, household_id, hukou FROM "${SCHEMA}".residents WHERE id = $1::uuid`),
    q(`SELECT a.*, s.code AS scheme_code, s.version AS scheme_version FROM "${SCHEMA}".school_applications a LEFT JOIN "${SCHEMA}".schemes s ON s.id = a.scheme_id WHERE a.parent_id = $1::uuid ORDER BY a.submitted_at`),
    q(
      `SELECT r.application_no, run.year, run.grade, run.town_code, run.completed_at, run.publicised_on, run.finalised_at, r.rank, r.outcome, r.total, r.priority, r.reason, sc.name AS school_name
         FROM "${SCHEMA}".admission_results r
         JOIN "${SCHEMA}".admission_runs run ON run.run_no = r.run_no
         JOIN "${SCHEMA}".school_applications a ON a.application_no = r.application_no
         LEFT JOIN "${SCHEMA}".schools sc ON sc.id = r.school_id
        WHERE a.parent_id = $1::uuid ORDER BY run.run_no, r.application_no`,
    ),
    q(`SELECT c.* FROM "${SCHEMA}".rechecks c JOIN "${SCHEMA}".school_applications a ON a.application_no = c.application_no WHERE a.parent_id = $1::uuid ORDER BY c.id`),
    q(`SELECT a.*, to_char(a.submitted_on, 'YYYY-MM-DD') AS submitted_on, s.code AS scheme_code, s.version AS scheme_version FROM "${SCHEMA}".household_applications a LEFT JOIN "${SCHEMA}".schemes s ON s.id = a.scheme_id WHERE a.applicant_id = $1::uuid ORDER BY a.submitted_at`),
    q(`SELECT st.application_no, st.seq, st.stage, st.office, to_char(st.due_date, 'YYYY-MM-DD') AS due_date, st.completed_at FROM "${SCHEMA}".household_stages st JOIN "${SCHEMA}".household_applications a ON a.application_no = st.application_no WHERE a.applicant_id = $1::uuid ORDER BY st.application_no, st.seq`),
    q(`SELECT c.* FROM "${SCHEMA}".rechecks c JOIN "${SCHEMA}".household_applications a ON a.application_no = c.application_no WHERE a.applicant_id = $1::uuid ORDER BY c.id`),
    q(`SELECT * FROM "${SCHEMA}".talent_cards WHERE holder_id = $1::uuid ORDER BY year`),
    q(`SELECT scope, to_char(barred_until, 'YYYY-MM-DD') AS barred_until, application_no, reason, created_at FROM "${SCHEMA}".bars WHERE resident_id = $1::uuid ORDER BY created_at`),
  ]);
  const byApplication = (rows: Record<string, unknown>[], no: unknown) => asDocumentRows(rows.filter((r) => r.application_no === no), ['application_no', 'id', ...OFFICIALS]);
  return {
    data: {
      registerProjection: asDocumentRows(projection)[0] ?? null,
      schoolApplications: school.map((a) => ({
        // the child's resident id is another resident's identifier, settlement's link to their records
        ...asDocumentRows([a], ['scheme_id', 'tie1', 'tie2', 'child_resident_id', ...OFFICIALS])[0],
        results: byApplication(results, a.application_no),
        rechecks: byApplication(schoolRechecks, a.application_no),
      })),
      householdApplications: household.map((a) => ({
        ...asDocumentRows([a], ['scheme_id', ...OFFICIALS])[0],
        stages: byApplication(stages, a.application_no),
        rechecks: byApplication(householdRechecks, a.application_no),
      })),
      talentCards: asDocumentRows(talent, ['holder_id', ...OFFICIALS]),
      bars: asDocumentRows(bars),
    },
    auditSubjects: {
      SchoolApplication: school.map((a) => String(a.application_no)),
      HouseholdApplication: household.map((a) => String(a.application_no)),
      TalentCard: talent.map((t) => String(t.card_no)),
    },
  };
}
