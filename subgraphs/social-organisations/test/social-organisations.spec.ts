import { codes, eventually, FixedClock, genUscc, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { socialOrganisations, type SocialOrganisationsRuntime } from '@citypoints/social-organisations';
import { createQueue } from '@citypoints/jobs';
import { demoPopulation } from '@citypoints/demo';
import { GRADING_QUEUE, YEARLY_GRADING_PATTERN } from '../src/grading/grading.jobs';

const GRADING = `year points grade rewarded exitFlagged schemeCode schemeVersion supervision rewardRank rewardAmount lines { category points capped note } removedLines { category points }`;
const RECORD = `mutation($i: OrganisationIndicatorInput!) { recordOrganisationIndicator(input: $i) { ${GRADING} } }`;
const VIOLATION = `mutation($i: OrganisationViolationInput!) { recordOrganisationViolation(input: $i) { ${GRADING} } }`;

describe('social-organisations through the gateway', () => {
  let city: TestCity;
  let admin: string;
  let civilAffairs: string;
  let key = 0;
  const nextKey = () => `k-${++key}-${Date.now()}`;

  const so = () => city.instances['social-organisations'].dataSource;
  const rt = () => city.instances['social-organisations'].runtime as SocialOrganisationsRuntime;
  const known = (uscc: string) =>
    eventually(async () => (await so().query(`SELECT 1 FROM social_organisations.organisations WHERE uscc = $1 AND name IS NOT NULL`, [uscc])).length > 0);
  const organisation = async (o: { kind?: string; divisionCode?: string } = {}) => {
    const org = await seed(city).organisation(o);
    await known(org.uscc);
    return org;
  };
  const indicator = (uscc: string, year: number, category: string, points: number, token = civilAffairs, idempotencyKey = nextKey()) =>
    city.query(RECORD, { i: { uscc, year, category, points, evidence: 'annual report', idempotencyKey } }, token);

  beforeAll(async () => {
    // 10 January 2036 in the city: the yearly job grades 2035
    city = await startCity({ modules: [registry, socialOrganisations], workers: true, clock: new FixedClock(new Date('2036-01-10T01:00:00Z')) });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
    civilAffairs = await city.token('DATA_FEED', { sub: 'civil-1', department: 'CIVIL_AFFAIRS' });
  });
  afterAll(() => city.close());

  it('caps indicators beyond a category cap in the breakdown, and shows the grading on the organisation', async () => {
    const org = await organisation();
    ok(await indicator(org.uscc, 2030, 'BASIC_WORK', 20));
    const after = ok(await indicator(org.uscc, 2030, 'BASIC_WORK', 15)).recordOrganisationIndicator;
    expect(after.lines.find((l: { category: string }) => l.category === 'BASIC_WORK')).toMatchObject({ points: 30, capped: true });
    expect(after).toMatchObject({ year: 2030, points: 30, grade: 'RED', exitFlagged: true, schemeCode: 'DG-SOCIAL-ORG', schemeVersion: 1 });

    const read = ok(await city.query(`query($o: ID!) { socialOrganisation(uscc: $o) { name kind grading(year: 2030) { points lines { category points capped } } } }`, { o: org.uscc }, admin));
    expect(read.socialOrganisation).toMatchObject({ name: org.name, kind: 'CHAMBER_OF_COMMERCE', grading: { points: 30 } });
    expect(read.socialOrganisation.grading.lines[0]).toEqual({ category: 'BASIC_WORK', points: 30, capped: true });
    const latest = ok(await city.query(`query($o: ID!) { socialOrganisation(uscc: $o) { grading { year points } } }`, { o: org.uscc }, admin));
    expect(latest.socialOrganisation.grading).toEqual({ year: 2030, points: 30 });
    const none = ok(await city.query(`query($o: ID!) { socialOrganisation(uscc: $o) { grading(year: 2029) { points } } }`, { o: org.uscc }, admin));
    expect(none.socialOrganisation.grading).toBeNull();

    // every change of the points went through the organisation's ledger account
    const [account] = await so().query(`SELECT balance FROM social_organisations.ledger_accounts WHERE id = $1`, [`so:grading:${org.uscc}:2030`]);
    expect(Number(account.balance)).toBe(3000);
  });

  it('returns the first result for a retried key and changes nothing; the same key for other content is a CONFLICT', async () => {
    const org = await organisation();
    const k = nextKey();
    const first = ok(await indicator(org.uscc, 2030, 'LIVELIHOOD', 5, civilAffairs, k)).recordOrganisationIndicator;
    ok(await indicator(org.uscc, 2030, 'BASIC_WORK', 10));
    const again = ok(await indicator(org.uscc, 2030, 'LIVELIHOOD', 5, civilAffairs, k)).recordOrganisationIndicator;
    expect(again).toEqual(first);
    const [{ n }] = await so().query(`SELECT count(*)::int AS n FROM social_organisations.indicator_records WHERE uscc = $1`, [org.uscc]);
    expect(n).toBe(2);
    expect(codes(await indicator(org.uscc, 2030, 'LIVELIHOOD', 6, civilAffairs, k))).toEqual(['CONFLICT']);

    const vk = nextKey();
    const v = { uscc: org.uscc, year: 2030, severity: 10, note: 'unapproved fee', idempotencyKey: vk };
    expect(ok(await city.query(VIOLATION, { i: v }, civilAffairs)).recordOrganisationViolation.points).toBe(5);
    expect(ok(await city.query(VIOLATION, { i: v }, civilAffairs)).recordOrganisationViolation.points).toBe(5);
    expect(codes(await city.query(VIOLATION, { i: { ...v, severity: 20 } }, civilAffairs))).toEqual(['CONFLICT']);
  });

  it('refuses bad input with BAD_USER_INPUT and writes nothing', async () => {
    const org = await organisation();
    const count = async () => Number((await so().query(`SELECT (SELECT count(*) FROM social_organisations.indicator_records) + (SELECT count(*) FROM social_organisations.violations) AS n`))[0].n);
    const before = await count();
    const wrongCheck = org.uscc.slice(0, 17) + (org.uscc[17] === '0' ? '1' : '0');
    expect(codes(await indicator(wrongCheck, 2030, 'BASIC_WORK', 5))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await indicator(org.uscc, 2030, 'BASIC_WORK', 0))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await indicator(org.uscc, 2030, 'BASIC_WORK', 1.005))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await indicator(org.uscc, 2030, 'LIVELIHOOD', 15.5))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await indicator(org.uscc, 1999, 'BASIC_WORK', 5))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await indicator(org.uscc, 2030, 'BASIC_WORK', 5, civilAffairs, ' '))).toEqual(['BAD_USER_INPUT']);
    expect((await indicator(org.uscc, 2030, 'NO_SUCH_CATEGORY', 5)).errors?.length).toBeGreaterThan(0);
    for (const severity of [9, 31]) {
      expect(codes(await city.query(VIOLATION, { i: { uscc: org.uscc, year: 2030, severity, idempotencyKey: nextKey() } }, civilAffairs))).toEqual(['BAD_USER_INPUT']);
    }
    expect(codes(await indicator(genUscc('51'), 2030, 'BASIC_WORK', 5))).toEqual(['NOT_FOUND']);
    expect(await count()).toBe(before);
  });

  it("lets the organisation's town officials and civil affairs enter records, and nobody else", async () => {
    const org = await organisation({ divisionCode: '441900003' });
    const own = await city.token('TOWN_OFFICIAL', { division: '441900003' });
    const other = await city.token('TOWN_OFFICIAL', { division: '441900121' });
    const otherDepartment = await city.token('DATA_FEED', { department: 'TAXATION' });
    const resident = await city.token('RESIDENT', { sub: 'r-1' });
    expect(ok(await indicator(org.uscc, 2030, 'BASIC_WORK', 5, own)).recordOrganisationIndicator.points).toBe(5);
    expect(codes(await indicator(org.uscc, 2030, 'BASIC_WORK', 5, other))).toEqual(['FORBIDDEN']);
    expect(codes(await indicator(org.uscc, 2030, 'BASIC_WORK', 5, otherDepartment))).toEqual(['FORBIDDEN']);
    expect(codes(await indicator(org.uscc, 2030, 'BASIC_WORK', 5, resident))).toEqual(['FORBIDDEN']);
    expect(codes(await indicator(org.uscc, 2030, 'BASIC_WORK', 5, ''))).toEqual(['UNAUTHENTICATED']);

    const q = `query($o: ID!) { socialOrganisation(uscc: $o) { grading(year: 2030) { points } } }`;
    expect(ok(await city.query(q, { o: org.uscc }, own)).socialOrganisation.grading.points).toBe(5);
    expect(codes(await city.query(q, { o: org.uscc }, other))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(`{ organisationRanking(year: 2030) { uscc } }`, {}, resident))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(`mutation { runOrganisationGrading(year: 2030) }`, {}, own))).toEqual(['FORBIDDEN']);
  });

  it('grades a crafted set as docs/domain/07-social-organisations.md says: grades, supervision, top-3 chamber rewards, exit flag, ranking and credit', async () => {
    const Y = 2031;
    const caps: [string, number][] = [['BASIC_WORK', 30], ['POLITICAL_ORIENTATION', 20], ['INDUSTRY_SELF_DISCIPLINE', 20], ['SOCIAL_GOVERNANCE', 15], ['LIVELIHOOD', 15]];
    const build = async (kind: string, categories: number, violation = 0, extra: [string, number][] = []) => {
      const org = await organisation({ kind });
      for (const [c, p] of [...caps.slice(0, categories), ...extra]) ok(await indicator(org.uscc, Y, c, p));
      if (violation) ok(await city.query(VIOLATION, { i: { uscc: org.uscc, year: Y, severity: violation, note: 'illegal fund-raising', idempotencyKey: nextKey() } }, civilAffairs));
      return org.uscc;
    };
    const a = await build('CHAMBER_OF_COMMERCE', 4, 0, [['LIVELIHOOD', 10]]); // 95
    const b = await build('CHAMBER_OF_COMMERCE', 4); // 85
    const c = await build('CHAMBER_OF_COMMERCE', 3); // 70
    const d = await build('CHAMBER_OF_COMMERCE', 3, 20); // 50
    const e = await build('CHAMBER_OF_COMMERCE', 1); // 30
    const x = await build('INDUSTRY_ASSOCIATION', 5); // 100, but not a chamber

    const graded = ok(await city.query(`mutation($y: Int!) { runOrganisationGrading(year: $y) }`, { y: Y }, civilAffairs)).runOrganisationGrading;
    const [{ n }] = await so().query(`SELECT count(*)::int AS n FROM social_organisations.organisations`);
    expect(graded).toBe(n);

    // the gradings of the whole list come in one query
    const ds = so();
    const query = ds.query.bind(ds);
    const gradingQueries: string[] = [];
    const spy = jest.spyOn(ds, 'query').mockImplementation((sql: string, params?: Parameters<typeof query>[1]) => {
      if (sql.includes('AS k(u, y)')) gradingQueries.push(sql);
      return query(sql, params);
    });
    const read = ok(
      await city.query(
        `query($y: Int!) { chambers: organisationRanking(year: $y, kind: CHAMBER_OF_COMMERCE) { uscc kind grading(year: $y) { ${GRADING} } }
          all: organisationRanking(year: $y) { uscc } }`,
        { y: Y },
        admin,
      ),
    );
    spy.mockRestore();
    expect(gradingQueries).toHaveLength(1);
    const chambers = read.chambers as { uscc: string; kind: string; grading: Record<string, any> }[];
    expect(chambers.slice(0, 5).map((o) => o.uscc)).toEqual([a, b, c, d, e]);
    expect(chambers.every((o) => o.kind === 'CHAMBER_OF_COMMERCE')).toBe(true);
    expect(chambers.slice(5).every((o) => o.grading.points === 0 && !o.grading.rewarded)).toBe(true);
    expect(read.all[0].uscc).toBe(x);

    const by = new Map(chambers.map((o) => [o.uscc, o.grading]));
    expect(by.get(a)).toMatchObject({ points: 95, grade: 'GREEN', rewarded: true, rewardRank: 1, rewardAmount: 200000, exitFlagged: false, supervision: 'routine supervision' });
    expect(by.get(b)).toMatchObject({ points: 85, grade: 'GREEN', rewarded: true, rewardRank: 2, rewardAmount: 150000 });
    expect(by.get(c)).toMatchObject({ points: 70, grade: 'YELLOW', rewarded: true, rewardRank: 3, rewardAmount: 100000, supervision: 'half-yearly supervision talk' });
    expect(by.get(d)).toMatchObject({ points: 50, grade: 'RED', rewarded: false, exitFlagged: false, supervision: 'rectification plan and inspection' });
    expect(by.get(d)!.lines).toContainEqual({ category: 'VIOLATION', points: -20, capped: false, note: 'illegal fund-raising' });
    expect(by.get(e)).toMatchObject({ points: 30, grade: 'RED', rewarded: false, exitFlagged: true });
    const assoc = ok(await city.query(`query($o: ID!, $y: Int!) { socialOrganisation(uscc: $o) { grading(year: $y) { points grade rewarded } } }`, { o: x, y: Y }, admin));
    expect(assoc.socialOrganisation.grading).toEqual({ points: 100, grade: 'GREEN', rewarded: false });

    // the RED chambers, a page at a time, for the supervision round
    const page = `query($y: Int!, $after: String) { organisationGradings(year: $y, kind: CHAMBER_OF_COMMERCE, grade: RED, first: 1, after: $after) {
      nodes { points exitFlagged organisation { uscc name } } totalCount pageInfo { hasNextPage endCursor } } }`;
    const p1 = ok(await city.query(page, { y: Y }, civilAffairs)).organisationGradings;
    expect(p1.nodes).toEqual([{ points: 50, exitFlagged: false, organisation: { uscc: d, name: expect.any(String) } }]);
    expect(p1.totalCount).toBe(chambers.filter((o) => o.grading.grade === 'RED').length);
    const p2 = ok(await city.query(page, { y: Y, after: p1.pageInfo.endCursor }, civilAffairs)).organisationGradings;
    expect(p2.nodes.map((n: { organisation: { uscc: string } }) => n.organisation.uscc)).toEqual([e]);
    expect(p2.pageInfo.hasNextPage).toBe(p1.totalCount > 2);

    const check = `query($o: ID!, $p: OrganisationCreditPurpose!) { organisationCreditCheck(uscc: $o, purpose: $p) { year grade allowed priority reasons schemeVersion } }`;
    const analyst = await city.token('DEPARTMENT_ANALYST', { department: 'FINANCE' });
    expect(ok(await city.query(check, { o: a, p: 'GOVERNMENT_COMMISSIONED_WORK' }, analyst)).organisationCreditCheck).toMatchObject({ year: Y, grade: 'GREEN', allowed: true, priority: true });
    expect(ok(await city.query(check, { o: d, p: 'PUBLIC_WELFARE_BIDDING' }, analyst)).organisationCreditCheck).toMatchObject({ grade: 'RED', allowed: false, priority: false });
    expect(ok(await city.query(check, { o: d, p: 'GOVERNMENT_PURCHASE_OF_SERVICES' }, analyst)).organisationCreditCheck.allowed).toBe(false);

    // running it again changes nothing
    ok(await city.query(`mutation($y: Int!) { runOrganisationGrading(year: $y) }`, { y: Y }, admin));
    const again = ok(await city.query(`query($y: Int!) { organisationRanking(year: $y, kind: CHAMBER_OF_COMMERCE) { uscc grading(year: $y) { points rewardRank } } }`, { y: Y }, admin));
    expect(again.organisationRanking.slice(0, 4)).toEqual([
      { uscc: a, grading: { points: 95, rewardRank: 1 } },
      { uscc: b, grading: { points: 85, rewardRank: 2 } },
      { uscc: c, grading: { points: 70, rewardRank: 3 } },
      { uscc: d, grading: { points: 50, rewardRank: null } },
    ]);
    const [{ postings }] = await so().query(`SELECT count(*)::int AS postings FROM social_organisations.ledger_postings p JOIN social_organisations.ledger_accounts a ON a.id = p.account_id WHERE a.owner_id = $1`, [a]);
    // five indicator records moved points (two postings each); the two runs found nothing to move
    expect(postings).toBe(2 * 5);
    expect(await so().transaction((m) => rt().ledger.checkInvariants(m))).toEqual([]);
  });

  it('shows a town official the ranking of their own town only', async () => {
    const inHumen = await organisation({ divisionCode: '441900121' });
    const inDongcheng = await organisation({ divisionCode: '441900003' });
    ok(await indicator(inHumen.uscc, 2032, 'BASIC_WORK', 10));
    ok(await indicator(inDongcheng.uscc, 2032, 'BASIC_WORK', 10));
    const humen = await city.token('TOWN_OFFICIAL', { division: '441900121' });
    const list = ok(await city.query(`{ organisationRanking(year: 2032) { uscc name } }`, {}, humen)).organisationRanking;
    expect(list).toEqual([{ uscc: inHumen.uscc, name: inHumen.name }]);
    const nowhere = await city.token('TOWN_OFFICIAL', { sub: 'no-division' });
    expect(ok(await city.query(`{ organisationRanking(year: 2032) { uscc } }`, {}, nowhere)).organisationRanking).toEqual([]);
    const analyst = await city.token('DEPARTMENT_ANALYST', { department: 'FINANCE' });
    const cityWide = ok(await city.query(`{ organisationRanking(year: 2032) { uscc } }`, {}, analyst)).organisationRanking.map((o: { uscc: string }) => o.uscc);
    expect(cityWide).toEqual(expect.arrayContaining([inHumen.uscc, inDongcheng.uscc]));
  });

  it('publishes a new scheme version that grades later years while stored gradings keep theirs', async () => {
    const current = ok(await city.query(`{ organisationGradingScheme(year: 2033) { code version definition } }`, {}, admin)).organisationGradingScheme;
    const definition = { ...current.definition, exitBelow: 50 };
    const published = ok(
      await city.query(`mutation($d: JSON!) { publishOrganisationGradingScheme(code: "DG-SOCIAL-ORG", effectiveFromYear: 2033, definition: $d) { version effectiveFromYear } }`, { d: definition }, civilAffairs),
    ).publishOrganisationGradingScheme;
    expect(published).toEqual({ version: 2, effectiveFromYear: 2033 });
    const bad = await city.query(`mutation($d: JSON!) { publishOrganisationGradingScheme(code: "DG-SOCIAL-ORG", effectiveFromYear: 2033, definition: $d) { version } }`, { d: { ...definition, grades: [] } }, admin);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    const history = ok(await city.query(`{ organisationGradingSchemes(code: "DG-SOCIAL-ORG") { version effectiveFromYear } }`, {}, admin)).organisationGradingSchemes;
    expect(history).toEqual([{ version: 2, effectiveFromYear: 2033 }, { version: 1, effectiveFromYear: expect.any(Number) }]);

    const org = await organisation();
    const old = ok(await indicator(org.uscc, 2032, 'BASIC_WORK', 30)).recordOrganisationIndicator;
    const next = ok(await indicator(org.uscc, 2033, 'BASIC_WORK', 30, civilAffairs)).recordOrganisationIndicator;
    expect(old).toMatchObject({ schemeVersion: 1, exitFlagged: true });
    expect(next).toMatchObject({ schemeVersion: 2, exitFlagged: true });
    const fourtyFive = ok(await indicator(org.uscc, 2033, 'LIVELIHOOD', 15)).recordOrganisationIndicator;
    expect(fourtyFive).toMatchObject({ points: 45, exitFlagged: true });
    const in2032 = ok(await indicator(org.uscc, 2032, 'LIVELIHOOD', 15)).recordOrganisationIndicator;
    expect(in2032).toMatchObject({ points: 45, exitFlagged: false, schemeVersion: 1 });
  });

  it('keeps concurrent records of one organisation consistent: one record per key, capped points equal to the ledger balance', async () => {
    const org = await organisation();
    const shared = nextKey();
    const results = await Promise.all([
      ...Array.from({ length: 8 }, () => indicator(org.uscc, 2030, 'SOCIAL_GOVERNANCE', 4)),
      ...Array.from({ length: 4 }, () => indicator(org.uscc, 2030, 'SOCIAL_GOVERNANCE', 4, civilAffairs, shared)),
    ]);
    results.forEach((r) => ok(r));
    const [{ n }] = await so().query(`SELECT count(*)::int AS n FROM social_organisations.indicator_records WHERE uscc = $1`, [org.uscc]);
    expect(n).toBe(9);
    const g = ok(await city.query(`query($o: ID!) { socialOrganisation(uscc: $o) { grading(year: 2030) { points lines { category points capped } } } }`, { o: org.uscc }, admin)).socialOrganisation.grading;
    expect(g.points).toBe(15);
    expect(g.lines).toContainEqual({ category: 'SOCIAL_GOVERNANCE', points: 15, capped: true });
    const [account] = await so().query(`SELECT balance FROM social_organisations.ledger_accounts WHERE id = $1`, [`so:grading:${org.uscc}:2030`]);
    expect(Number(account.balance)).toBe(1500);
  });

  it('registers the yearly grading schedule, and its job grades a year once however often it fires', async () => {
    const queue = createQueue<{ year?: number }>(GRADING_QUEUE, city.queue, { prefix: city.queuePrefix });
    try {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers).toEqual([expect.objectContaining({ key: 'social-organisations:yearly-grading', pattern: YEARLY_GRADING_PATTERN })]);
      const org = await organisation();
      ok(await indicator(org.uscc, 2035, 'BASIC_WORK', 25));
      // as the scheduler fires it (the year that just ended), and once more by hand for the same year
      const jobs = [await queue.add('grade-past-year', {}), await queue.add('grade-past-year', { year: 2035 })];
      for (const job of jobs) await eventually(async () => (await job.getState()) === 'completed');
      const runs = await so().query(`SELECT status FROM social_organisations.job_runs WHERE kind = 'organisation-grading' AND idempotency_key LIKE 'scheduled:%'`);
      expect(runs).toEqual([{ status: 'COMPLETED' }]);
      const [{ n }] = await so().query(`SELECT count(*)::int AS n FROM social_organisations.gradings WHERE year = 2035`);
      const [{ orgs }] = await so().query(`SELECT count(*)::int AS orgs FROM social_organisations.organisations`);
      expect(n).toBe(orgs);
      const g = ok(await city.query(`query($o: ID!) { socialOrganisation(uscc: $o) { grading(year: 2035) { points rewarded } } }`, { o: org.uscc }, admin)).socialOrganisation.grading;
      expect(g.points).toBe(25);
    } finally {
      await queue.close();
    }
  });

  it('loads the demo gradings of a seed once', async () => {
    const inst = city.instances['social-organisations'];
    const pop = demoPopulation(11);
    await inst.seedDemo!({ seed: 11 });
    const count = async () => Number((await so().query(`SELECT count(*) AS n FROM social_organisations.gradings WHERE uscc = ANY($1)`, [pop.organisations.map((o) => o.uscc)]))[0].n);
    expect(await count()).toBe(pop.organisations.length);
    const records = Number((await so().query(`SELECT count(*) AS n FROM social_organisations.indicator_records`))[0].n);
    await inst.seedDemo!({ seed: 11 });
    expect(Number((await so().query(`SELECT count(*) AS n FROM social_organisations.indicator_records`))[0].n)).toBe(records);
    const [{ rewarded }] = await so().query(`SELECT count(*)::int AS rewarded FROM social_organisations.gradings WHERE uscc = ANY($1) AND rewarded`, [pop.organisations.map((o) => o.uscc)]);
    expect(rewarded).toBe(3);
  });
});
