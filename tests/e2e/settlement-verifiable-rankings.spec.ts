import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeIdNumber } from '@citypoints/kit';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';

/**
 * Verifiable rankings (docs/verifiable-rankings.md) through the gateway: a real run verifies as
 * identical, through verifyAdmissionRun and through the 30-line script anyone can run; after one
 * stored row is altered in the database, both name that row.
 */
const TOWN = '441900003';
const SCRIPT = path.resolve(__dirname, '../../tools/verify-ranking.mjs');
const run = promisify(execFile);

describe('verifiable admission rankings', () => {
  let city: TestCity;
  let officer: string;
  let runId: string;
  let dir: string;
  const apps: string[] = [];

  async function script(docs: { inputs: string; outputs: string; inputDigest: string; outputDigest: string }) {
    fs.writeFileSync(path.join(dir, 'inputs.jsonl'), docs.inputs);
    fs.writeFileSync(path.join(dir, 'outputs.jsonl'), docs.outputs);
    try {
      const { stdout } = await run(process.execPath, [SCRIPT, path.join(dir, 'inputs.jsonl'), path.join(dir, 'outputs.jsonl'), docs.inputDigest, docs.outputDigest]);
      return { code: 0, stdout };
    } catch (e) {
      const err = e as { code: number; stdout: string };
      return { code: err.code, stdout: err.stdout };
    }
  }

  const DOCS = `query($id: ID!) { admissionRunDocuments(id: $id) { inputs outputs inputDigest outputDigest } }`;
  const VERIFY = `query($id: ID!) { verifyAdmissionRun(id: $id) { runId identical inputDigest outputDigest recomputedOutputDigest differences } }`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-ranking-'));
    const clock = new FixedClock(new Date('2026-03-10T02:00:00Z'));
    city = await startCity({ modules: [registry, settlement], workers: true, clock, label: 'settlement_verify' });
    officer = await city.token('EDUCATION_OFFICER', { sub: 'edu-verify', division: TOWN });
    const schools: string[] = [];
    for (const [name, seats] of [['东城第一小学', 2], ['东城实验学校', 1]] as const) {
      schools.push(ok(await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name, townCode: TOWN, seats: [{ year: 2026, grade: 'PRIMARY_1', seats }] } }, officer)).upsertSchool.id);
    }
    const eligible = [{ code: 'RESIDENCE_PERMIT', value: 'true' }, { code: 'SOCIAL_INSURANCE', value: 'true' }];
    const claims = [
      [{ code: 'EDUCATION', value: 'BACHELOR' }, ...eligible], // 80, tied with the next two: the lottery decides
      [{ code: 'EDUCATION', value: 'BACHELOR' }, ...eligible],
      [{ code: 'EDUCATION', value: 'BACHELOR' }, ...eligible],
      [{ code: 'EDUCATION', value: 'HIGH_SCHOOL_OR_BELOW' }, { code: 'CITY_HONOUR_5Y', value: 'true' }, ...eligible], // priority
      [{ code: 'EDUCATION', value: 'MASTER_OR_ABOVE' }, { code: 'SOCIAL_INSURANCE_TYPE_YEARS', value: '4' }, ...eligible],
      [{ code: 'EDUCATION', value: 'MASTER_OR_ABOVE' }], // no permit, no insurance: INELIGIBLE
    ];
    for (const [i, indicators] of claims.entries()) {
      clock.advance(60_000);
      const p = await seed(city).resident({ hukou: 'MIGRANT' });
      await eventually(async () => (await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.residents WHERE id = $1`, [p.id])).length === 1);
      const a = ok(
        await city.query(
          `mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo } }`,
          { i: { parentId: p.id, childName: `孩子${i}`, childIdNumber: makeIdNumber('441900', '2020-06-01', 900 + i), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: i % 2 ? [schools[1], schools[0]] : [schools[0]], indicators } },
          officer,
        ),
      ).submitSchoolApplication.applicationNo;
      ok(await city.query(`mutation($n: ID!, $v: [IndicatorVerdictInput!]!) { verifyIndicators(applicationNo: $n, verdicts: $v) { status } }`, { n: a, v: indicators.map((l) => ({ code: l.code, status: 'VERIFIED' })) }, officer));
      apps.push(a);
    }
    runId = ok(await city.query(`mutation { runSchoolAdmission(year: 2026, townCode: "${TOWN}", grade: PRIMARY_1, seed: "verify-2026") { id } }`, {}, officer)).runSchoolAdmission.id;
    await eventually(async () => ok(await city.query(`query($id: ID!) { admissionRun(id: $id) { status } }`, { id: runId }, officer)).admissionRun.status === 'COMPLETED');
  });
  afterAll(async () => {
    await city?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the digests with the run and the ranking, and a real run verifies as identical', async () => {
    const r = ok(await city.query(`query($id: ID!) { admissionRun(id: $id) { inputDigest outputDigest } }`, { id: runId }, officer)).admissionRun;
    expect(r.inputDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(r.outputDigest).toMatch(/^[0-9a-f]{64}$/);
    const resident = await city.token('RESIDENT', { sub: 'anyone' });
    const ranking = ok(await city.query(`{ schoolRanking(year: 2026, townCode: "${TOWN}", grade: PRIMARY_1) { runId inputDigest outputDigest totalCount } }`, {}, resident)).schoolRanking;
    expect(ranking).toEqual({ runId, inputDigest: r.inputDigest, outputDigest: r.outputDigest, totalCount: 5 });
    const v = ok(await city.query(VERIFY, { id: runId }, resident)).verifyAdmissionRun;
    expect(v).toEqual({ runId, identical: true, inputDigest: r.inputDigest, outputDigest: r.outputDigest, recomputedOutputDigest: r.outputDigest, differences: [] });
    const docs = ok(await city.query(DOCS, { id: runId }, resident)).admissionRunDocuments;
    const lines = docs.inputs.trim().split('\n').map((l: string) => JSON.parse(l));
    expect(lines[0]).toEqual({ year: 2026, town: TOWN, grade: 'PRIMARY_1', seed: 'verify-2026' });
    expect(lines.filter((l: { app?: string }) => l.app).map((l: { app: string }) => l.app)).toEqual([...apps].sort());
    expect(lines.find((l: { app?: string }) => l.app === apps[5])).toMatchObject({ eligible: false, scheme: 'DG-SCHOOL/2' });
    expect(docs.outputs.trim().split('\n')[0]).toBe(JSON.stringify({ rank: 1, app: apps[3], school: JSON.parse(docs.outputs.split('\n')[0]).school, outcome: 'ADMITTED' }));
    const checked = await script(docs);
    expect(checked).toEqual({ code: 0, stdout: `identical: 6 applications, output ${r.outputDigest}\n` });
  });

  it('names the row after one stored row is altered in the database, and so does the script', async () => {
    const ds = city.instances.settlement.dataSource;
    const [victim] = await ds.query(
      `SELECT res.application_no FROM settlement.admission_results res JOIN settlement.admission_runs r ON r.run_no = res.run_no WHERE r.id = $1 AND res.rank = 2`,
      [runId],
    );
    await ds.query(
      `UPDATE settlement.admission_results res SET school_id = NULL, outcome = 'WAITLISTED' FROM settlement.admission_runs r WHERE r.run_no = res.run_no AND r.id = $1 AND res.application_no = $2`,
      [runId, victim.application_no],
    );
    const v = ok(await city.query(VERIFY, { id: runId }, officer)).verifyAdmissionRun;
    expect(v.identical).toBe(false);
    expect(v.recomputedOutputDigest).toBe(v.outputDigest);
    expect(v.differences).toHaveLength(1);
    expect(v.differences[0]).toMatch(new RegExp(`^${victim.application_no}: published rank 2, WAITLISTED; recomputed rank 2, ADMITTED at `));
    const docs = ok(await city.query(DOCS, { id: runId }, officer)).admissionRunDocuments;
    const checked = await script(docs);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain(`row 2: published {"rank":2,"app":"${victim.application_no}","school":null,"outcome":"WAITLISTED"}`);
  });
});
