import type { RecordFact } from '@citypoints/events';
import type { Queryable as Q } from '@citypoints/kit';
import { SCHEMA } from '../context';
import { normaliseValue, type IndicatorState, type RecordSubject, type SchemeDefinition, type SchemeItem, type VerifiedFrom } from './engine';

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

/** Where a declaration starts counting for an application submitted at `submittedAt`; null: all the facts. */
const windowStart = (vf: VerifiedFrom, submittedAt: Date): Date | null => (vf.windowYears ? yearsBefore(submittedAt, vf.windowYears) : null);

/** A recorded sum as a line holds it: to the cent, then normalised like any value of the item. */
const recordedValue = (item: SchemeItem, total: number): string => normaliseValue(item, String(Math.round(total * 100) / 100));

/** The line a declaration verifies with a recorded value; a claim the family made stays beside it. */
const recordLine = (item: SchemeItem, prior: IndicatorState | undefined, verified: string): IndicatorState => ({
  code: item.code,
  claimed: prior ? prior.claimed : null,
  verified,
  status: 'VERIFIED',
  source: item.verifiedFrom!.source,
});

/**
 * The sum of the facts `vf` declares for each resident from each date (null: all of them), in the
 * order asked; one statement, and only the residents with facts come back from it (most have none).
 */
async function recordTotals(m: Q, vf: VerifiedFrom, asked: readonly { residentId: string; from: Date | null }[]): Promise<Float64Array> {
  // times go as ISO text, cheaper to send than dates
  const sums: { n: number; total: number }[] = await m.query(
    `SELECT q.n, sum(f.amount)::float8 AS total
       FROM unnest($1::int[], $2::uuid[], $3::text[]::timestamptz[]) AS q(n, resident_id, from_at)
       JOIN "${SCHEMA}".record_facts f ON f.source = $4 AND f.fact = $5 AND f.resident_id = q.resident_id AND (q.from_at IS NULL OR f.occurred_at >= q.from_at)
      GROUP BY q.n`,
    [asked.map((_, n) => n), asked.map((a) => a.residentId), asked.map((a) => a.from?.toISOString() ?? null), vf.source, vf.fact],
  );
  const totals = new Float64Array(asked.length);
  for (const { n, total } of sums) totals[n] = total;
  return totals;
}

async function recordedAmount(m: Q, item: SchemeItem, residentId: string, submittedAt: Date): Promise<string> {
  const [total] = await recordTotals(m, item.verifiedFrom!, [{ residentId, from: windowStart(item.verifiedFrom!, submittedAt) }]);
  return recordedValue(item, total);
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
    const line = recordLine(item, out[at], await recordedAmount(m, item, residentId, submittedAt));
    if (at >= 0) out[at] = line;
    else out.push(line);
  }
  return out;
}

/** An application as a simulation reads it: its stored lines, whose they are, and the scheme version they were verified under. */
export interface StoredApplication {
  lines: IndicatorState[];
  subjects: RecordSubjects;
  submittedAt: Date;
  /** the definition of the scheme version the application is scored under */
  scoredUnder: SchemeDefinition;
}

const sameDeclaration = (a: VerifiedFrom | undefined, b: VerifiedFrom | undefined): boolean =>
  a === undefined || b === undefined
    ? a === b
    : a.source === b.source && a.fact === b.fact && a.subject === b.subject && (a.windowYears ?? null) === (b.windowYears ?? null);

/** A line verified from another subgraph's records (not by an officer, not a bare claim). */
const fromRecords = (l: IndicatorState): boolean => l.source != null && l.source !== 'officer';

/** A line an officer decided: their verdict, or a decided line stored before lines had sources. */
const decidedByOfficer = (l: IndicatorState): boolean => l.source === 'officer' || (l.source == null && l.status !== 'CLAIMED');

/**
 * The lines each application would hold had it been scored under `draft` from its submission —
 * what a real run under the draft would rank (the simulation's input):
 * - a line the draft declares exactly as the application's own scheme does stays as stored: it
 *   followed the records until the pool's run, and a ranked application keeps what its run saw;
 * - a line the draft declares otherwise (or the application's scheme does not declare) is
 *   verified from the facts settlement holds for the subject the application names, as
 *   `verifyFromRecords` does; an officer's verdict still overrides it;
 * - a line verified from records that the draft does not declare so goes back to the family's
 *   claim (and away when there was none).
 * One statement per re-declared item, whatever the number of applications.
 */
export async function linesUnderDraft(m: Q, draft: SchemeDefinition, apps: readonly StoredApplication[]): Promise<IndicatorState[][]> {
  const declarations = new Map<SchemeDefinition, Map<string, VerifiedFrom | undefined>>();
  // a year's applications share a version or two: their declarations are read once per version
  const declarationsOf = (def: SchemeDefinition) => {
    let d = declarations.get(def);
    if (!d) declarations.set(def, (d = new Map(def.items.map((i) => [i.code, i.verifiedFrom]))));
    return d;
  };
  const declared = declarationsOf(draft);
  const out = apps.map((a) => {
    const own = declarationsOf(a.scoredUnder);
    return a.lines.flatMap((l): IndicatorState[] => {
      if (!fromRecords(l) || sameDeclaration(declared.get(l.code), own.get(l.code))) return [{ ...l }];
      return l.claimed == null ? [] : [{ code: l.code, claimed: l.claimed, verified: null, status: 'CLAIMED' }];
    });
  });
  for (const item of draft.items) {
    const vf = item.verifiedFrom;
    if (!vf) continue;
    const asked: { app: number; residentId: string; from: Date | null }[] = [];
    apps.forEach((a, i) => {
      const residentId = a.subjects[vf.subject];
      if (!residentId || sameDeclaration(vf, declarationsOf(a.scoredUnder).get(item.code))) return;
      const line = out[i].find((l) => l.code === item.code);
      if (line && decidedByOfficer(line)) return;
      asked.push({ app: i, residentId, from: windowStart(vf, a.submittedAt) });
    });
    if (!asked.length) continue;
    const totals = await recordTotals(m, vf, asked);
    const none = recordedValue(item, 0);
    asked.forEach(({ app }, n) => {
      const lines = out[app];
      const at = lines.findIndex((l) => l.code === item.code);
      const line = recordLine(item, lines[at], totals[n] === 0 ? none : recordedValue(item, totals[n]));
      if (at >= 0) lines[at] = line;
      else lines.push(line);
    });
  }
  return out;
}

export const sameLines = (a: IndicatorState[], b: IndicatorState[]) =>
  a.length === b.length &&
  a.every((l, i) => l.code === b[i].code && l.claimed === b[i].claimed && l.verified === b[i].verified && l.status === b[i].status && (l.source ?? null) === (b[i].source ?? null));

/** The same claims, verdicts and values, whatever their sources (what ranking sees). */
export const sameValues = (a: IndicatorState[], b: IndicatorState[]) =>
  a.length === b.length && a.every((l, i) => l.code === b[i].code && l.claimed === b[i].claimed && l.verified === b[i].verified && l.status === b[i].status);
