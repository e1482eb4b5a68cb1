import { requireCaller, type Caller } from '@citypoints/auth';
import { invalidState, isUuid, notFound } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { SettlementRuntime } from '../runtime';
import { outputDocument, parseInputDocument, rankAndPlaceCanonical, sha256, type CanonicalResult, type Outcome } from './canonical';
import type { AdmissionRunDocuments, RunVerification } from './application.type';

interface StoredRun {
  run_no: string;
  input_document: string | null;
  input_digest: string | null;
  output_digest: string | null;
}

async function storedRun(rt: SettlementRuntime, caller: Caller | null, id: string): Promise<StoredRun & { input_document: string; input_digest: string; output_digest: string }> {
  requireCaller(caller);
  const rows: StoredRun[] = isUuid(id)
    ? await rt.ds.query(`SELECT run_no, input_document, input_digest, output_digest FROM "${SCHEMA}".admission_runs WHERE id = $1`, [id])
    : [];
  if (!rows.length) throw notFound('admission run', id);
  const r = rows[0];
  if (r.input_document === null || r.input_digest === null || r.output_digest === null) throw invalidState(`admission run ${id} has no canonical record (not completed, or computed before runs kept one)`);
  return r as StoredRun & { input_document: string; input_digest: string; output_digest: string };
}

/** The list as the run's stored results publish it, in the canonical form. */
async function publishedResults(rt: SettlementRuntime, runNo: string): Promise<CanonicalResult[]> {
  const rows: { rank: number | null; application_no: string; school_id: string | null; outcome: Outcome }[] = await rt.ds.query(
    `SELECT rank, application_no, school_id, outcome FROM "${SCHEMA}".admission_results WHERE run_no = $1`,
    [runNo],
  );
  return rows.map((r) => ({ rank: r.rank, app: r.application_no, school: r.school_id, outcome: r.outcome }));
}

/** A run's canonical documents: its stored inputs and its published list. */
export async function admissionRunDocuments(rt: SettlementRuntime, caller: Caller | null, id: string): Promise<AdmissionRunDocuments> {
  const run = await storedRun(rt, caller, id);
  return { runId: id, inputs: run.input_document, outputs: outputDocument(await publishedResults(rt, run.run_no)), inputDigest: run.input_digest, outputDigest: run.output_digest };
}

const describe = (r: CanonicalResult | undefined) => (r ? `rank ${r.rank ?? '-'}, ${r.outcome}${r.school ? ` at ${r.school}` : ''}` : 'absent');

/**
 * Recomputes the ranked, placed list from the run's stored inputs alone and compares it with the
 * digest stored at the run and with the list as published (the stored results): identical, or
 * each application whose row differs.
 */
export async function verifyAdmissionRun(rt: SettlementRuntime, caller: Caller | null, id: string): Promise<RunVerification> {
  const run = await storedRun(rt, caller, id);
  const differences: string[] = [];
  if (sha256(run.input_document) !== run.input_digest) differences.push('inputs: the stored input document does not match the input digest published with the run');
  const { header, seats, apps } = parseInputDocument(run.input_document);
  const recomputed = rankAndPlaceCanonical(header, seats, apps);
  const recomputedOutputDigest = sha256(outputDocument(recomputed));
  if (recomputedOutputDigest !== run.output_digest) differences.push('output: the list recomputed from the inputs does not match the output digest published with the run');
  const published = new Map((await publishedResults(rt, run.run_no)).map((r) => [r.app, r]));
  const expected = new Map(recomputed.map((r) => [r.app, r]));
  for (const app of [...new Set([...expected.keys(), ...published.keys()])].sort()) {
    const e = expected.get(app);
    const p = published.get(app);
    if (!e || !p || e.rank !== p.rank || e.school !== p.school || e.outcome !== p.outcome) differences.push(`${app}: published ${describe(p)}; recomputed ${describe(e)}`);
  }
  return { runId: id, identical: differences.length === 0, inputDigest: run.input_digest, outputDigest: run.output_digest, recomputedOutputDigest, differences };
}
