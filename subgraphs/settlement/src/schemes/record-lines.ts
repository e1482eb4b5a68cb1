import type { RecordFact } from '@citypoints/events';
import type { Queryable as Q } from '@citypoints/kit';
import { SCHEMA } from '../context';
import { normaliseValue, type IndicatorState, type RecordSubject, type SchemeDefinition, type SchemeItem } from './engine';

/** The residents an application names, by the subject a scheme's `verifiedFrom` declares. */
export type RecordSubjects = Partial<Record<RecordSubject, string>>;

/**
 * Serialises, per resident, the arrival of their record facts with the submissions that read
 * them: a submission reads the sums after the facts committed before it, and a fact committed
 * after it finds the new application. Always taken before any application row lock.
 */
export async function lockRecordSubjects(m: Q, residentIds: readonly string[]): Promise<void> {
  for (const id of [...new Set(residentIds)].sort()) {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('settlement.record-facts'), hashtext($1))`, [id]);
  }
}

/** `years` calendar years before `at` (the window of a `verifiedFrom`). */
function yearsBefore(at: Date, years: number): Date {
  const d = new Date(at.getTime());
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d;
}

/** Whether a scheme declares a line verified from this fact for this subject. */
export function declares(def: SchemeDefinition, fact: Pick<RecordFact, 'source' | 'fact'>, subject: RecordSubject): boolean {
  return def.items.some((i) => i.verifiedFrom?.source === fact.source && i.verifiedFrom.fact === fact.fact && i.verifiedFrom.subject === subject);
}

/** Whether a scheme declares a line verified from this fact for any subject the resident is on an application. */
export function declaresFor(def: SchemeDefinition, fact: Pick<RecordFact, 'source' | 'fact'>, subjects: RecordSubjects, residentId: string): boolean {
  return (Object.keys(subjects) as RecordSubject[]).some((s) => subjects[s] === residentId && declares(def, fact, s));
}

async function recordedAmount(m: Q, item: SchemeItem, residentId: string, submittedAt: Date): Promise<string> {
  const vf = item.verifiedFrom!;
  const from = vf.windowYears ? yearsBefore(submittedAt, vf.windowYears) : null;
  const [row]: { total: number }[] = await m.query(
    `SELECT coalesce(sum(amount), 0)::float8 AS total FROM "${SCHEMA}".record_facts
      WHERE source = $1 AND fact = $2 AND resident_id = $3::uuid AND ($4::timestamptz IS NULL OR occurred_at >= $4::timestamptz)`,
    [vf.source, vf.fact, residentId, from],
  );
  return normaliseValue(item, String(Math.round(row.total * 100) / 100));
}

/**
 * The lines of an application with every line its scheme declares `verifiedFrom` set from the
 * facts settlement holds: VERIFIED with the recorded amount and the source, whether or not the
 * family claimed it (the claim stays beside it). A line an officer decided keeps the verdict.
 * `only`: just these codes (the lines an officer reopened).
 */
export async function verifyFromRecords(
  m: Q,
  def: SchemeDefinition,
  lines: IndicatorState[],
  subjects: RecordSubjects,
  submittedAt: Date,
  only?: ReadonlySet<string>,
): Promise<IndicatorState[]> {
  const out = lines.map((l) => ({ ...l }));
  for (const item of def.items) {
    if (only && !only.has(item.code)) continue;
    const vf = item.verifiedFrom;
    const residentId = vf ? subjects[vf.subject] : undefined;
    if (!vf || !residentId) continue;
    const at = out.findIndex((l) => l.code === item.code);
    if (at >= 0 && out[at].source === 'officer') continue;
    const line: IndicatorState = { code: item.code, claimed: at >= 0 ? out[at].claimed : null, verified: await recordedAmount(m, item, residentId, submittedAt), status: 'VERIFIED', source: vf.source };
    if (at >= 0) out[at] = line;
    else out.push(line);
  }
  return out;
}

export const sameLines = (a: IndicatorState[], b: IndicatorState[]) =>
  a.length === b.length &&
  a.every((l, i) => l.code === b[i].code && l.claimed === b[i].claimed && l.verified === b[i].verified && l.status === b[i].status && (l.source ?? null) === (b[i].source ?? null));

/** The same claims, verdicts and values, whatever their sources (what ranking sees). */
export const sameValues = (a: IndicatorState[], b: IndicatorState[]) =>
  a.length === b.length && a.every((l, i) => l.code === b[i].code && l.claimed === b[i].claimed && l.verified === b[i].verified && l.status === b[i].status);
