import { SERVICE_HEADER, signServiceCall } from '@citypoints/auth';
import { applyOnce, OwnerClient, OWNER_LOOKUP_PATH, type DomainEvent } from '@citypoints/events';
import { makeIdNumber } from '@citypoints/kit';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { volunteering } from '@citypoints/volunteering';
import { eventually, FixedClock, ok, seed, startCity, TEST_SUBGRAPH_SECRET, type TestCity } from '@citypoints/test-city';
import { recordFactHandlers } from '../../subgraphs/settlement/src/records/record-facts.projection';

/**
 * Lines verified from the city's own records (docs/domain/01-school-admission.md), through the
 * gateway: the volunteer hours volunteering confirms verify the scoring parent's, the child's (when
 * registry knows the child as a resident) and the hukou applicant's volunteer-hours lines, without
 * a claim, kept current until the run; an officer's verdict overrides them and stays.
 */
const TOWN = '441900003';
const VILLAGE = '441900003001';
/** applications for the 2027 school year are open (1 September 2026 to 31 May 2027) */
const NOW = '2026-11-10T02:00:00Z';
const YEAR = 2027;

const LINE = `code claimed verified status points source`;
const SUBMIT = `mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo points { total lines { ${LINE} } } } }`;
const APP = `query($n: ID!) { schoolApplication(applicationNo: $n) { status points { total schemeCode schemeVersion lines { ${LINE} } } } }`;
const VERIFY = `mutation($n: ID!, $v: [IndicatorVerdictInput!]!) { verifyIndicators(applicationNo: $n, verdicts: $v) { points { lines { ${LINE} } } } }`;
const HOURS = `mutation($r: ID!, $h: Float!, $k: String!) { recordAdministratorHours(residentId: $r, hours: $h, idempotencyKey: $k) { hours } }`;
const SUBMIT_HUKOU = `mutation($i: SubmitHouseholdApplicationInput!) { submitHouseholdApplication(input: $i) { applicationNo points { total lines { ${LINE} } } } }`;
const HUKOU = `query($n: ID!) { householdApplication(applicationNo: $n) { points { total schemeCode schemeVersion lines { ${LINE} } } } }`;

type Line = { code: string; claimed: string | null; verified: string | null; status: string; points: number; source: string | null };
const lineOf = (lines: Line[], code: string) => lines.find((l) => l.code === code)!;
const PARENT_HOURS = 'PARENT_VOLUNTEER_HOURS_5Y';
const CHILD_HOURS = 'CHILD_VOLUNTEER_HOURS_5Y';

let childNo = 0;
const childId = (birthYear: number) => makeIdNumber('441900', `${birthYear}-05-12`, 300 + childNo++);

describe('lines verified from the city’s own records', () => {
  let city: TestCity;
  let clock: FixedClock;
  let education: string;
  let hukouOfficer: string;
  let town: string;
  const schools: Record<string, string> = {};
  let hoursKey = 0;

  /** a migrant resident of the village, known to settlement and volunteering */
  async function resident(idNumber?: string): Promise<string> {
    const r = await seed(city).resident({ hukou: 'MIGRANT', divisionCode: VILLAGE, ...(idNumber && { idNumber }) });
    await eventually(async () => (await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.residents WHERE id = $1`, [r.id])).length === 1);
    await eventually(async () => (await city.instances.volunteering.dataSource.query(`SELECT 1 FROM volunteering.residents WHERE id = $1`, [r.id])).length === 1);
    return r.id;
  }

  /** hours entered by the town's administrator at the clock's now: they count as hours */
  async function confirmHours(residentId: string, hours: number, key = `hours-${hoursKey++}`) {
    ok(await city.query(HOURS, { r: residentId, h: hours, k: key }, town));
    return key;
  }

  /** the sum settlement holds of a resident's confirmed hours (every fact delivered and applied) */
  async function projectedHours(residentId: string, expected: number) {
    await eventually(async () => {
      const [r] = await city.instances.settlement.dataSource.query(
        `SELECT coalesce(sum(amount), 0)::float8 AS h FROM settlement.record_facts WHERE resident_id = $1 AND source = 'volunteering' AND fact = 'confirmedHours'`,
        [residentId],
      );
      return r.h === expected;
    });
  }

  async function submit(parentId: string, indicators: { code: string; value: string }[] = [], grade = 'PRIMARY_1', childIdNumber?: string) {
    const birthYear = grade === 'PRIMARY_1' ? 2021 : 2015;
    const i = { parentId, childName: '陈小明', childIdNumber: childIdNumber ?? childId(birthYear), year: YEAR, grade, townCode: TOWN, preferences: [schools[grade]], indicators };
    return ok(await city.query(SUBMIT, { i }, education)).submitSchoolApplication as { applicationNo: string; points: { total: number; lines: Line[] } };
  }

  const app = async (no: string) => ok(await city.query(APP, { n: no }, education)).schoolApplication as { status: string; points: { total: number; schemeCode: string; schemeVersion: number; lines: Line[] } };
  const parentLine = async (no: string) => lineOf((await app(no)).points.lines, PARENT_HOURS);

  beforeAll(async () => {
    clock = new FixedClock(new Date(NOW));
    city = await startCity({ modules: [registry, volunteering, settlement], workers: true, clock, label: 'verified_lines' });
    education = await city.token('EDUCATION_OFFICER', { sub: 'edu-verified', division: TOWN });
    hukouOfficer = await city.token('HUKOU_OFFICER', { sub: 'hukou-verified', division: TOWN });
    town = await city.token('TOWN_OFFICIAL', { sub: 'town-verified', division: TOWN });
    for (const grade of ['PRIMARY_1', 'JUNIOR_1']) {
      const d = ok(await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name: `石碣${grade}学校`, townCode: TOWN, seats: [{ year: YEAR, grade, seats: 5 }] } }, education));
      schools[grade] = d.upsertSchool.id;
    }
  });

  afterAll(async () => {
    await city?.close();
  });

  beforeEach(() => clock.set(NOW));

  it('a parent with 120 confirmed hours gets the line VERIFIED at 4 points from volunteering without claiming it; claimed-only lines have no source', async () => {
    const parent = await resident();
    await confirmHours(parent, 120);
    await projectedHours(parent, 120);
    const a = await submit(parent, [{ code: 'EDUCATION', value: 'COLLEGE' }]);
    expect(lineOf(a.points.lines, PARENT_HOURS)).toEqual({ code: PARENT_HOURS, claimed: null, verified: '120', status: 'VERIFIED', points: 4, source: 'volunteering' });
    expect(lineOf(a.points.lines, 'EDUCATION')).toMatchObject({ claimed: 'COLLEGE', status: 'CLAIMED', points: 0, source: null });
    const read = await app(a.applicationNo);
    expect(read.points).toMatchObject({ total: 4, schemeCode: 'DG-SCHOOL', schemeVersion: 3 });
    // a child registry does not know as a resident has no records: an officer's line, unverified without a claim
    expect(lineOf(read.points.lines, 'CHILD_VOLUNTEER_HOURS_5Y')).toMatchObject({ status: 'CLAIMED', source: null });
  });

  it('hours confirmed after the submission update the line; a claim stays beside the verified hours', async () => {
    const parent = await resident();
    const a = await submit(parent, [{ code: PARENT_HOURS, value: '300' }]);
    expect(lineOf(a.points.lines, PARENT_HOURS)).toMatchObject({ claimed: '300', verified: '0', status: 'VERIFIED', points: 0, source: 'volunteering' });
    await confirmHours(parent, 60);
    await confirmHours(parent, 45.5);
    const line = await eventually(async () => {
      const l = await parentLine(a.applicationNo);
      return l.verified === '105.5' ? l : null;
    });
    expect(line).toEqual({ code: PARENT_HOURS, claimed: '300', verified: '105.5', status: 'VERIFIED', points: 4, source: 'volunteering' });
    expect((await app(a.applicationNo)).points.total).toBe(4);
  });

  it('hours confirmed more than 5 years before the submission do not count', async () => {
    const parent = await resident();
    clock.set('2021-06-01T02:00:00Z');
    await confirmHours(parent, 200);
    clock.set('2021-11-11T02:00:00Z'); // within 5 years of the submission on 2026-11-10
    await confirmHours(parent, 50);
    clock.set(NOW);
    await confirmHours(parent, 60);
    await projectedHours(parent, 310);
    const a = await submit(parent);
    expect(lineOf(a.points.lines, PARENT_HOURS)).toMatchObject({ verified: '110', points: 4, source: 'volunteering' });
  });

  it("an officer's verdict overrides the records (source officer) and a later hours fact does not undo it", async () => {
    const parent = await resident();
    await confirmHours(parent, 120);
    await projectedHours(parent, 120);
    const a = await submit(parent, [{ code: 'PATENT', value: 'true' }]);
    const judged = ok(await city.query(VERIFY, { n: a.applicationNo, v: [{ code: PARENT_HOURS, status: 'VERIFIED', verifiedValue: '50' }] }, education)).verifyIndicators;
    expect(lineOf(judged.points.lines, PARENT_HOURS)).toMatchObject({ verified: '50', status: 'VERIFIED', points: 2, source: 'officer' });
    await confirmHours(parent, 200);
    await projectedHours(parent, 320);
    expect(await parentLine(a.applicationNo)).toMatchObject({ verified: '50', points: 2, source: 'officer' });

    // a rejection is a verdict too; reopening the line gives it back to the records
    const rejected = ok(await city.query(VERIFY, { n: a.applicationNo, v: [{ code: PARENT_HOURS, status: 'REJECTED' }] }, education)).verifyIndicators;
    expect(lineOf(rejected.points.lines, PARENT_HOURS)).toMatchObject({ status: 'REJECTED', points: 0, source: 'officer' });
    const reopened = ok(await city.query(VERIFY, { n: a.applicationNo, v: [{ code: PARENT_HOURS, status: 'CLAIMED' }] }, education)).verifyIndicators;
    expect(lineOf(reopened.points.lines, PARENT_HOURS)).toMatchObject({ verified: '320', status: 'VERIFIED', points: 10, source: 'volunteering' });
    // a line the records never touch is the officer's once verified
    const other = ok(await city.query(VERIFY, { n: a.applicationNo, v: [{ code: 'PATENT', status: 'VERIFIED' }] }, education)).verifyIndicators;
    expect(lineOf(other.points.lines, 'PATENT')).toMatchObject({ claimed: 'true', verified: 'true', source: 'officer', points: 60 });
    expect(lineOf(other.points.lines, PARENT_HOURS)).toMatchObject({ verified: '320', source: 'volunteering' });
  });

  it('a repeated or late hours fact, and a retried administrator entry, count once', async () => {
    const parent = await resident();
    const key = await confirmHours(parent, 70);
    await confirmHours(parent, 40);
    await projectedHours(parent, 110);
    const a = await submit(parent);
    expect(lineOf(a.points.lines, PARENT_HOURS)).toMatchObject({ verified: '110', points: 4 });

    // the same entry retried under its key confirms nothing new
    await confirmHours(parent, 70, key);
    // every fact volunteering published for this parent, delivered again (same events) and
    // republished (new event ids, same versions), newest first
    const vds = city.instances.volunteering.dataSource;
    const rows: { id: string; topic: string; aggregate_id: string; version: string; schema_version: number; payload: Record<string, unknown>; created_at: Date }[] = await vds.query(
      `SELECT id, topic, aggregate_id, version, schema_version, payload, created_at FROM volunteering.outbox WHERE topic = 'volunteering.hours.confirmed' AND payload->>'residentId' = $1 ORDER BY created_at DESC`,
      [parent],
    );
    expect(rows).toHaveLength(2);
    const sds = city.instances.settlement.dataSource;
    const deliver = (r: (typeof rows)[number], id: string) => {
      const event: DomainEvent = { id, topic: r.topic, aggregateId: r.aggregate_id, version: Number(r.version), schemaVersion: r.schema_version, payload: r.payload, createdAt: r.created_at.toISOString(), source: 'volunteering' };
      return applyOnce(sds, 'settlement', 'settlement', recordFactHandlers[r.topic], event);
    };
    for (const r of rows) expect(await deliver(r, r.id)).toBe('duplicate');
    for (const r of rows) expect(await deliver(r, crypto.randomUUID())).toBe('applied');
    await projectedHours(parent, 110);
    expect(await parentLine(a.applicationNo)).toMatchObject({ verified: '110', points: 4, source: 'volunteering' });
  });

  it('a ranked application keeps the lines its run saw', async () => {
    const parent = await resident();
    await confirmHours(parent, 50);
    await projectedHours(parent, 50);
    const eligible = [{ code: 'RESIDENCE_PERMIT', value: 'true' }, { code: 'SOCIAL_INSURANCE', value: 'true' }];
    const a = await submit(parent, eligible, 'JUNIOR_1');
    ok(await city.query(VERIFY, { n: a.applicationNo, v: eligible.map((c) => ({ code: c.code, status: 'VERIFIED' })) }, education));
    const run = ok(await city.query(`mutation { runSchoolAdmission(year: ${YEAR}, townCode: "${TOWN}", grade: JUNIOR_1, seed: "verified-lines") { id } }`, {}, education)).runSchoolAdmission;
    await eventually(async () => ok(await city.query(`query($id: ID!) { admissionRun(id: $id) { status } }`, { id: run.id }, education)).admissionRun.status === 'COMPLETED');
    expect((await app(a.applicationNo)).status).toBe('RANKED');

    await confirmHours(parent, 100);
    await projectedHours(parent, 150);
    // a later application of another parent in the same pool still follows the records
    const later = await resident();
    const b = await submit(later, [], 'JUNIOR_1');
    await confirmHours(later, 100);
    await eventually(async () => (await parentLine(b.applicationNo)).verified === '100');
    expect(await parentLine(a.applicationNo)).toMatchObject({ verified: '50', points: 2, source: 'volunteering' });
    expect((await app(a.applicationNo)).points.total).toBe(2);
  });

  it('a child registered as a resident with 60 confirmed hours gets the child\'s line VERIFIED at 2 points from volunteering, kept current until the run', async () => {
    const parent = await resident();
    const childIdNumber = childId(2015);
    const child = await resident(childIdNumber);
    await confirmHours(child, 60);
    await projectedHours(child, 60);
    const a = await submit(parent, [], 'JUNIOR_1', childIdNumber);
    expect(lineOf(a.points.lines, CHILD_HOURS)).toEqual({ code: CHILD_HOURS, claimed: null, verified: '60', status: 'VERIFIED', points: 2, source: 'volunteering' });
    // the parent's records are the parent's: the child's hours count on the child's line only
    expect(lineOf(a.points.lines, PARENT_HOURS)).toMatchObject({ verified: '0', points: 0, source: 'volunteering' });
    expect(a.points.total).toBe(2);
    const [stored] = await city.instances.settlement.dataSource.query(`SELECT child_resident_id FROM settlement.school_applications WHERE application_no = $1`, [a.applicationNo]);
    expect(stored.child_resident_id).toBe(child);

    // hours the child does after the submission count too
    await confirmHours(child, 45);
    const line = await eventually(async () => {
      const l = lineOf((await app(a.applicationNo)).points.lines, CHILD_HOURS);
      return l.verified === '105' ? l : null;
    });
    expect(line).toEqual({ code: CHILD_HOURS, claimed: null, verified: '105', status: 'VERIFIED', points: 4, source: 'volunteering' });
    expect(lineOf((await app(a.applicationNo)).points.lines, PARENT_HOURS)).toMatchObject({ verified: '0', points: 0 });
  });

  it("a child registry does not know keeps the child's line as claimed, for an officer: no source until the officer acts", async () => {
    const parent = await resident();
    await confirmHours(parent, 60);
    await projectedHours(parent, 60);
    const a = await submit(parent, [{ code: CHILD_HOURS, value: '100' }], 'JUNIOR_1', childId(2015));
    expect(lineOf(a.points.lines, CHILD_HOURS)).toEqual({ code: CHILD_HOURS, claimed: '100', verified: null, status: 'CLAIMED', points: 0, source: null });
    expect(lineOf(a.points.lines, PARENT_HOURS)).toMatchObject({ verified: '60', points: 2, source: 'volunteering' });
    const [stored] = await city.instances.settlement.dataSource.query(`SELECT child_resident_id FROM settlement.school_applications WHERE application_no = $1`, [a.applicationNo]);
    expect(stored.child_resident_id).toBeNull();
    const judged = ok(await city.query(VERIFY, { n: a.applicationNo, v: [{ code: CHILD_HOURS, status: 'VERIFIED', verifiedValue: '100' }] }, education)).verifyIndicators;
    expect(lineOf(judged.points.lines, CHILD_HOURS)).toEqual({ code: CHILD_HOURS, claimed: '100', verified: '100', status: 'VERIFIED', points: 4, source: 'officer' });
    // a record fact of the parent leaves the officer's line of the child as it is
    await confirmHours(parent, 50);
    await eventually(async () => (await parentLine(a.applicationNo)).verified === '110');
    expect(lineOf((await app(a.applicationNo)).points.lines, CHILD_HOURS)).toMatchObject({ verified: '100', points: 4, source: 'officer' });
  });

  it("a child who registers after the submission is linked by registry's answer, and the child's line follows their records from then on", async () => {
    const parent = await resident();
    const childIdNumber = childId(2015);
    const a = await submit(parent, [{ code: CHILD_HOURS, value: '80' }], 'JUNIOR_1', childIdNumber);
    expect(lineOf(a.points.lines, CHILD_HOURS)).toMatchObject({ claimed: '80', status: 'CLAIMED', points: 0, source: null });
    const child = await resident(childIdNumber);
    const sds = city.instances.settlement.dataSource;
    await eventually(async () => (await sds.query(`SELECT child_resident_id FROM settlement.school_applications WHERE application_no = $1`, [a.applicationNo]))[0].child_resident_id === child);
    await confirmHours(child, 60);
    const line = await eventually(async () => {
      const l = lineOf((await app(a.applicationNo)).points.lines, CHILD_HOURS);
      return l.verified === '60' ? l : null;
    });
    expect(line).toEqual({ code: CHILD_HOURS, claimed: '80', verified: '60', status: 'VERIFIED', points: 2, source: 'volunteering' });
    // another resident registering links nothing
    await resident(childId(2015));
    expect((await sds.query(`SELECT count(*)::int AS n FROM settlement.school_applications WHERE child_resident_id = $1`, [child]))[0].n).toBe(1);
  });

  it('registry unreachable at submission refuses it as SERVICE_UNAVAILABLE and stores nothing, rather than scoring the child as having no records', async () => {
    const parent = await resident();
    const rt = city.instances.settlement.runtime as { registry?: OwnerClient };
    const reachable = rt.registry;
    // the network between settlement and registry fails: nothing listens where settlement asks
    rt.registry = new OwnerClient({ service: 'settlement', owner: 'registry', urlOf: () => 'http://127.0.0.1:9', secret: TEST_SUBGRAPH_SECRET, timeoutMs: 1000 });
    const childIdNumber = childId(2015);
    try {
      const i = { parentId: parent, childName: '陈小明', childIdNumber, year: YEAR, grade: 'JUNIOR_1', townCode: TOWN, preferences: [schools.JUNIOR_1], indicators: [], idempotencyKey: `unreachable-${parent}` };
      const r = await city.query(SUBMIT, { i }, education);
      expect((r.errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    } finally {
      rt.registry = reachable;
    }
    const rows = await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.school_applications WHERE child_id_number = $1`, [childIdNumber]);
    expect(rows).toHaveLength(0);
  });

  it("registry's lookup by ID number answers a signed service call with the resident id only, and nobody else", async () => {
    const idNumber = childId(2015);
    const child = await resident(idNumber);
    const url = new URL(OWNER_LOOKUP_PATH, city.servers.registry.url);
    const body = JSON.stringify({ residentIdNumbers: [idNumber, childId(2015), 'not-an-id-number'] });
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    const signed = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [SERVICE_HEADER]: await signServiceCall(TEST_SUBGRAPH_SECRET, 'settlement') }, body });
    expect(signed.status).toBe(200);
    const answer = (await signed.json()) as Record<string, unknown[]>;
    expect(answer.residentIdsByIdNumber).toEqual([{ idNumber, residentId: child }]);
    expect([answer.residents, answer.enterprises, answer.organisations]).toEqual([[], [], []]);
  });

  it("the hukou applicant's VOLUNTEER_HOURS line counts all confirmed hours, kept current", async () => {
    const applicant = await resident();
    clock.set('2012-04-01T02:00:00Z');
    await confirmHours(applicant, 40);
    clock.set(NOW);
    await confirmHours(applicant, 20);
    await projectedHours(applicant, 60);
    const h = ok(await city.query(SUBMIT_HUKOU, { i: { applicantId: applicant, townCode: TOWN, indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }] } }, hukouOfficer)).submitHouseholdApplication;
    expect(lineOf(h.points.lines, 'VOLUNTEER_HOURS')).toEqual({ code: 'VOLUNTEER_HOURS', claimed: null, verified: '60', status: 'VERIFIED', points: 2, source: 'volunteering' });
    await confirmHours(applicant, 250);
    const read = await eventually(async () => {
      const p = ok(await city.query(HUKOU, { n: h.applicationNo }, hukouOfficer)).householdApplication.points;
      return lineOf(p.lines, 'VOLUNTEER_HOURS').verified === '310' ? p : null;
    });
    expect(read).toMatchObject({ schemeCode: 'DG-HUKOU', schemeVersion: 2 });
    expect(lineOf(read.lines, 'VOLUNTEER_HOURS')).toMatchObject({ points: 10, source: 'volunteering' });

    const judged = ok(await city.query(
      `mutation($n: ID!, $v: [IndicatorVerdictInput!]!) { verifyHouseholdIndicators(applicationNo: $n, verdicts: $v) { points { lines { ${LINE} } } } }`,
      { n: h.applicationNo, v: [{ code: 'VOLUNTEER_HOURS', status: 'VERIFIED', verifiedValue: '100' }] },
      hukouOfficer,
    )).verifyHouseholdIndicators;
    expect(lineOf(judged.points.lines, 'VOLUNTEER_HOURS')).toMatchObject({ verified: '100', points: 4, source: 'officer' });
    await confirmHours(applicant, 5);
    await projectedHours(applicant, 315);
    const after = ok(await city.query(HUKOU, { n: h.applicationNo }, hukouOfficer)).householdApplication.points;
    expect(lineOf(after.lines, 'VOLUNTEER_HOURS')).toMatchObject({ verified: '100', source: 'officer' });
  });
  describe('simulated under a draft', () => {
    const SIMULATE = `mutation($kind: SchemeKind!, $year: Int!, $d: JSON!, $town: ID) { simulatePointsScheme(kind: $kind, year: $year, definition: $d, townCode: $town) { id } }`;
    const SIM = `query($id: ID!) { schemeSimulation(id: $id) { status error applications movers(first: 200) { applicationNo totalBefore totalAfter } } }`;
    type Mover = { applicationNo: string; totalBefore: number; totalAfter: number };

    async function simulate(year: number, d: unknown, kind = 'SCHOOL_ADMISSION'): Promise<{ status: string; error: string | null; applications: number; movers: Mover[] }> {
      const officer = kind === 'SCHOOL_ADMISSION' ? education : hukouOfficer;
      const { id } = ok(await city.query(SIMULATE, { kind, year, d, town: TOWN }, officer)).simulatePointsScheme;
      return eventually(async () => {
        const sim = ok(await city.query(SIM, { id }, officer)).schemeSimulation;
        return ['COMPLETED', 'FAILED'].includes(sim.status) ? sim : null;
      });
    }

    const definitionOf = async (year: number) => ok(await city.query(`{ pointsScheme(kind: SCHOOL_ADMISSION, year: ${year}) { definition } }`, {}, education)).pointsScheme.definition;

    it("a draft declaring the parent's hours verified from volunteering, at new points, moves the applicants with confirmed hours as a real run would; an officer's verdict holds", async () => {
      // the 2026 intake, scored under a version that verifies nothing from records
      clock.set('2026-03-10T02:00:00Z');
      const withHours = await resident();
      const without = await resident();
      const judged = await resident();
      await confirmHours(withHours, 120);
      await confirmHours(judged, 200);
      await projectedHours(withHours, 120);
      await projectedHours(judged, 200);
      const submit2026 = async (parentId: string, indicators: { code: string; value: string }[]) => {
        const i = { parentId, childName: '陈小明', childIdNumber: childId(2020), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: [schools.PRIMARY_1], indicators };
        return ok(await city.query(SUBMIT, { i }, education)).submitSchoolApplication as { applicationNo: string; points: { total: number; lines: Line[] } };
      };
      const education2026 = [{ code: 'EDUCATION', value: 'COLLEGE' }];
      const a = await submit2026(withHours, education2026);
      const b = await submit2026(without, education2026);
      const c = await submit2026(judged, [...education2026, { code: PARENT_HOURS, value: '200' }]);
      for (const no of [a.applicationNo, b.applicationNo, c.applicationNo]) ok(await city.query(VERIFY, { n: no, v: [{ code: 'EDUCATION', status: 'VERIFIED' }] }, education));
      ok(await city.query(VERIFY, { n: c.applicationNo, v: [{ code: PARENT_HOURS, status: 'VERIFIED', verifiedValue: '50' }] }, education));
      const live = await app(a.applicationNo);
      expect(lineOf(live.points.lines, PARENT_HOURS)).toMatchObject({ status: 'CLAIMED', points: 0, source: null });
      const base = live.points.total;
      expect((await app(b.applicationNo)).points.total).toBe(base);
      expect((await app(c.applicationNo)).points.total).toBe(base + 2);

      const d = JSON.parse(JSON.stringify(await definitionOf(2026)));
      const item = d.items.find((x: { code: string }) => x.code === PARENT_HOURS);
      expect(item).toMatchObject({ kind: 'PER_UNIT', unit: 50, points: 2 });
      expect(item.verifiedFrom).toBeUndefined();
      Object.assign(item, { points: 3, cap: 15, verifiedFrom: { source: 'volunteering', fact: 'confirmedHours', subject: 'PARENT', windowYears: 5 } });
      const sim = await simulate(2026, d);
      expect(sim).toMatchObject({ status: 'COMPLETED', error: null, applications: 3 });
      // 120 hours from the records: 2 units at 3; the officer's 50 hours (not the 200 recorded): 1 unit at 3
      expect(sim.movers.sort((x, y) => x.totalAfter - y.totalAfter)).toEqual([
        { applicationNo: c.applicationNo, totalBefore: base + 2, totalAfter: base + 3 },
        { applicationNo: a.applicationNo, totalBefore: base, totalAfter: base + 6 },
      ]);
      // nothing live moved
      expect((await app(a.applicationNo)).points.total).toBe(base);
    });

    it('a draft keeping the declarations moves nobody; one dropping the declaration gives the lines back to their claims', async () => {
      clock.set(NOW);
      const parent = await resident();
      await confirmHours(parent, 120);
      await projectedHours(parent, 120);
      const claimed = await resident();
      await confirmHours(claimed, 60);
      await projectedHours(claimed, 60);
      const a = await submit(parent);
      const b = await submit(claimed, [{ code: PARENT_HOURS, value: '300' }]);
      expect(lineOf(a.points.lines, PARENT_HOURS)).toMatchObject({ verified: '120', points: 4, source: 'volunteering' });
      expect(lineOf(b.points.lines, PARENT_HOURS)).toMatchObject({ claimed: '300', verified: '60', points: 2, source: 'volunteering' });
      const inForce = await definitionOf(YEAR);
      const same = await simulate(YEAR, inForce);
      expect(same).toMatchObject({ status: 'COMPLETED', movers: [] });

      const d = JSON.parse(JSON.stringify(inForce));
      delete d.items.find((x: { code: string }) => x.code === PARENT_HOURS).verifiedFrom;
      const dropped = await simulate(YEAR, d);
      expect(dropped.status).toBe('COMPLETED');
      const moved = new Map(dropped.movers.map((m) => [m.applicationNo, m]));
      expect(moved.get(a.applicationNo)).toMatchObject({ totalBefore: 4, totalAfter: 0 });
      // back to the family's claim, which nobody has verified
      expect(moved.get(b.applicationNo)).toMatchObject({ totalBefore: 2, totalAfter: 0 });
    });

    it("a hukou draft no longer declaring the applicant's hours gives the line back to the claim; the draft in force moves nobody", async () => {
      clock.set(NOW);
      const applicant = await resident();
      await confirmHours(applicant, 120);
      await projectedHours(applicant, 120);
      const h = ok(await city.query(SUBMIT_HUKOU, { i: { applicantId: applicant, townCode: TOWN, indicators: [{ code: 'VOLUNTEER_HOURS', value: '50' }] } }, hukouOfficer)).submitHouseholdApplication;
      expect(lineOf(h.points.lines, 'VOLUNTEER_HOURS')).toMatchObject({ claimed: '50', verified: '120', points: 4, source: 'volunteering' });
      const inForce = ok(await city.query(`{ pointsScheme(kind: HOUSEHOLD_REGISTRATION, year: 2026) { definition } }`, {}, hukouOfficer)).pointsScheme.definition;
      expect(await simulate(2026, inForce, 'HOUSEHOLD_REGISTRATION')).toMatchObject({ status: 'COMPLETED', movers: [] });
      const d = JSON.parse(JSON.stringify(inForce));
      delete d.items.find((x: { code: string }) => x.code === 'VOLUNTEER_HOURS').verifiedFrom;
      const dropped = await simulate(2026, d, 'HOUSEHOLD_REGISTRATION');
      expect(dropped.movers.find((m) => m.applicationNo === h.applicationNo)).toEqual({ applicationNo: h.applicationNo, totalBefore: h.points.total, totalAfter: h.points.total - 4 });
    });
  });
});
