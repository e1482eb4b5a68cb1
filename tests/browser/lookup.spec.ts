import fs from 'node:fs';
import path from 'node:path';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { civic } from '@citypoints/civic';
import { volunteering } from '@citypoints/volunteering';
import { makeIdNumber } from '@citypoints/kit';
import { codes, eventually, FixedClock, gql, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * The parents' lookup page, end to end: a real city in-process (registry, settlement, civic,
 * volunteering and the gateway), applications submitted, verified, ranked and publicised through
 * the API, then the page driven in headless Chromium at phone and desktop widths.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
const ARTIFACTS = path.join(__dirname, 'artifacts');
const TOWN = '441900003';
const VILLAGE = '441900003001';

const LOOKUP = `query($no: ID!, $l: String!) { admissionLookup(applicationNo: $no, idNumberLast6: $l) { applicationNo total rank poolSize placement { name } cutoff status parentNameMasked childNameMasked lines { code claimed verified status points source } run { status publicisedOn publicityUntil } recheckOpen } }`;

describe('the parents’ lookup', () => {
  let city: TestCity;
  let clock: FixedClock;
  let officer: string;
  const apps: { no: string; childId: string; parentId: string; parentName: string; childName: string }[] = [];
  let schools: string[] = [];

  beforeAll(async () => {
    clock = new FixedClock(new Date('2026-03-10T02:00:00Z'));
    city = await startCity({ modules: [registry, settlement, civic, volunteering], workers: true, clock, label: 'lookup' });
    officer = await city.token('EDUCATION_OFFICER', { sub: 'edu-1', division: TOWN });
    for (const [name, seats] of [['东城第一小学', 1], ['东城实验学校', 1]] as const) {
      const d = ok(await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name, townCode: TOWN, seats: [{ year: 2026, grade: 'PRIMARY_1', seats }] } }, officer));
      schools.push(d.upsertSchool.id);
    }
    const s = seed(city);
    const parents = [await s.resident({ name: '张三明', divisionCode: VILLAGE }), await s.resident({ name: '李四', divisionCode: VILLAGE }), await s.resident({ name: '王小五', divisionCode: VILLAGE })];
    await eventually(async () => {
      const rows = await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.residents WHERE id = ANY($1::uuid[])`, [parents.map((p) => p.id)]);
      return rows[0].n === parents.length;
    });
    const claims = [
      [{ code: 'EDUCATION', value: 'BACHELOR' }, { code: 'RESIDENCE_YEARS', value: '7' }, { code: 'PATENT', value: 'true' }],
      [{ code: 'EDUCATION', value: 'COLLEGE' }, { code: 'WORK_YEARS', value: '3' }],
      [{ code: 'EDUCATION', value: 'HIGH_SCHOOL_OR_BELOW' }],
    ].map((c) => [...c, { code: 'RESIDENCE_PERMIT', value: 'true' }, { code: 'SOCIAL_INSURANCE', value: 'true' }]); // ranked only with both verified
    const childNames = ['张小明', '李小红', '王大宝'];
    for (const [i, p] of parents.entries()) {
      clock.advance(60_000);
      const childId = makeIdNumber('441900', '2020-03-15', 700 + i);
      const d = ok(
        await city.query(
          `mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo } }`,
          { i: { parentId: p.id, childName: childNames[i], childIdNumber: childId, year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: schools, indicators: claims[i] } },
          officer,
        ),
      );
      apps.push({ no: d.submitSchoolApplication.applicationNo, childId, parentId: p.id, parentName: p.name, childName: childNames[i] });
    }
    // the first parent's patent is rejected by the officer; every other line verified as claimed
    const verdicts = claims.map((c, i) => c.map((l) => ({ code: l.code, status: i === 0 && l.code === 'PATENT' ? 'REJECTED' : 'VERIFIED' })));
    for (const [i, a] of apps.entries()) {
      ok(await city.query(`mutation($n: ID!, $v: [IndicatorVerdictInput!]!) { verifyIndicators(applicationNo: $n, verdicts: $v) { status } }`, { n: a.no, v: verdicts[i] }, officer));
    }
    const run = ok(await city.query(`mutation { runSchoolAdmission(year: 2026, townCode: "${TOWN}", grade: PRIMARY_1, seed: "lookup-seed") { id } }`, {}, officer)).runSchoolAdmission;
    await eventually(async () => {
      const r = ok(await city.query(`query($id: ID!) { admissionRun(id: $id) { status error } }`, { id: run.id }, officer)).admissionRun;
      if (r.status === 'FAILED') throw new Error(r.error);
      return r.status === 'COMPLETED';
    });
    ok(await city.query(`mutation($id: ID!) { publiciseAdmissionRun(id: $id) { publicityUntil } }`, { id: run.id }, officer));
  });

  afterAll(() => city?.close());

  describe('the GraphQL operation', () => {
    it('answers the pair with the lines, rank of pool size, placement, cut-off and publicity, names masked', async () => {
      const a = apps[0];
      const d = ok(await city.query(LOOKUP, { no: a.no, l: a.childId.slice(-6) })).admissionLookup;
      // BACHELOR 80 + RESIDENCE_YEARS 7 (2 + 6 + 6 = 14); the rejected patent scores 0
      expect(d).toMatchObject({ applicationNo: a.no, total: 94, rank: 1, poolSize: 3, placement: { name: '东城第一小学' }, cutoff: 94, parentNameMasked: '张*明', childNameMasked: '张*明' });
      expect(d.lines.find((l: { code: string }) => l.code === 'PATENT')).toMatchObject({ claimed: 'true', status: 'REJECTED', points: 0 });
      expect(d.run).toEqual({ status: 'COMPLETED', publicisedOn: '2026-03-10', publicityUntil: expect.stringMatching(/^2026-03-1\d$/) });
      expect(d.recheckOpen).toBe(true);
      const lower = ok(await city.query(LOOKUP, { no: apps[1].no, l: apps[1].childId.slice(-6).toLowerCase() })).admissionLookup;
      expect(lower).toMatchObject({ rank: 2, poolSize: 3, placement: { name: '东城实验学校' }, parentNameMasked: '李*' });
    });

    it('answers a wrong pair exactly as a number nobody holds', async () => {
      const a = apps[0];
      const wrongLast6 = a.childId.slice(-6) === '000000' ? '000001' : '000000';
      const body = async (no: string, last6: string) => JSON.stringify(await gql(city.gatewayUrl, LOOKUP, { no, l: last6 }));
      // the whole answer, HTTP status included, is the same in the three cases
      const wrong = await body(a.no, wrongLast6);
      const otherChild = await body(a.no, apps[1].childId.slice(-6));
      const absent = await body('SA2026-9999999', wrongLast6);
      expect(wrong).toBe(JSON.stringify({ data: { admissionLookup: null }, status: 200 }));
      expect(otherChild).toBe(wrong);
      expect(absent).toBe(wrong);
      expect(codes(await city.query(LOOKUP, { no: a.no, l: '12' }))).toEqual(['BAD_USER_INPUT']);
    });
  });

  (HAVE_CHROMIUM ? describe : describe.skip)(`the page in headless Chromium (${CHROMIUM})`, () => {
    let browser: Browser;
    const origin = () => city.gatewayUrl.replace(/\/graphql$/, '');

    beforeAll(async () => {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    });
    afterAll(() => browser?.close());

    const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

    for (const [width, height, label] of [[390, 844, 'phone'], [1280, 800, 'desktop']] as const) {
      it(`shows a parent their application in Chinese, then in English (${label} ${width}×${height})`, async () => {
        const page = await browser.newPage({ viewport: { width, height }, locale: 'zh-CN' });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
        const res = await page.goto(`${origin()}/lookup`);
        expect(res?.status()).toBe(200);
        expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
        await expect(page.locator('html').getAttribute('lang')).resolves.toBe('zh-CN');
        expect(await page.locator('h1').textContent()).toBe('积分入学查询');

        const a = apps[0];
        await page.fill('#applicationNo', a.no);
        await page.fill('#idNumberLast6', a.childId.slice(-6) === '000000' ? '000001' : '000000');
        await page.click('#lookup-submit');
        await page.waitForSelector('#lookup-message:not(:empty)');
        expect(await page.textContent('#lookup-message')).toBe('未找到与申请号和身份证号码后6位相符的申请，请核对后重试。');
        expect(await page.isHidden('#lookup-result')).toBe(true);

        await page.fill('#idNumberLast6', a.childId.slice(-6));
        await page.click('#lookup-submit');
        await page.waitForSelector('#lookup-summary');
        expect(await page.textContent('#lookup-message')).toBe('');
        const summary = await page.textContent('#lookup-summary');
        expect(summary).toContain('总积分94');
        expect(summary).toContain('排名1 共 3 人');
        expect(summary).toContain('录取学校东城第一小学');
        expect(summary).toContain('录取分数线94');
        const head = await page.textContent('#lookup-application');
        expect(head).toContain('张*明');
        expect(head).not.toContain(a.parentName);
        expect(head).toContain('公示中'); // a publicised list is not final: ADMITTED only once the finalising job closes the pool
        const patent = await page.textContent('#lookup-lines li[data-code="PATENT"]');
        expect(patent).toContain('申报: true');
        expect(patent).toContain('未通过');
        // the lines the family claimed (or the city's records verified); the scheme's other lines stay out of the way
        expect(await page.locator('#lookup-lines li').count()).toBe(5);
        expect(await page.textContent('#lookup-run')).toContain('2026-03-10 – 2026-03-1');
        expect(await page.textContent('#lookup-recheck')).toMatch(/公示期内（截至 2026-03-1\d）可对任一积分项申请复核/);
        if (label === 'phone') {
          // mobile-first: nothing wider than the phone's screen
          expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        }
        await shot(page, `lookup-zh-${label}`);

        await page.click('#lang');
        expect(await page.locator('html').getAttribute('lang')).toBe('en');
        expect(await page.locator('h1').textContent()).toBe('School admission by points');
        const en = await page.textContent('#lookup-summary');
        expect(en).toContain('Total points94');
        expect(en).toContain('Rank1 of 3');
        expect(await page.textContent('#lookup-recheck')).toContain('you may ask for any line to be checked again');
        await shot(page, `lookup-en-${label}`);
        expect(errors).toEqual([]);
        await page.close();
      });
    }

    it('shows a resident with a token their civic card, passbooks and volunteer hours', async () => {
      const a = apps[1];
      const official = await city.token('TOWN_OFFICIAL', { sub: 'town-1', division: TOWN });
      const resident = await city.token('RESIDENT', { sub: a.parentId });
      await eventually(async () => (await city.query(`mutation($r: ID!) { registerVolunteer(residentId: $r) { registered } }`, { r: a.parentId }, resident)).data?.registerVolunteer?.registered);
      ok(await city.query(`mutation($r: ID!) { recordAdministratorHours(residentId: $r, hours: 120, idempotencyKey: "lookup-hours-1") { hours } }`, { r: a.parentId }, official));
      const card = await eventually(async () => (await city.query(`{ myCivicCard { cardNo } }`, {}, resident)).data?.myCivicCard?.cardNo as string | undefined);

      for (const [width, height, label] of [[390, 844, 'phone'], [1280, 800, 'desktop']] as const) {
        const page = await browser.newPage({ viewport: { width, height } });
        await page.goto(`${origin()}/lookup?token=${encodeURIComponent(resident)}`);
        await page.waitForSelector('#resident-card');
        expect(page.url()).not.toContain('token=');
        expect(await page.isVisible('#view-resident')).toBe(true);
        const cardText = await page.textContent('#resident-card');
        expect(cardText).toContain(card);
        expect(cardText).toContain('文明积分');
        const vol = await page.textContent('#resident-volunteer');
        expect(vol).toContain('服务时长（小时）120');
        expect(vol).toContain('★');
        expect(await page.textContent('#resident-applications')).toContain(a.no);
        if (label === 'phone') {
          // the applicant asks for a re-check of a line during publicity, from the page
          const form = page.locator(`form.recheck-form[data-application="${a.no}"]`);
          await form.locator('button').click();
          expect(await form.locator('.message').textContent()).toBe('请填写复核理由。');
          await form.locator('select').selectOption('WORK_YEARS');
          await form.locator('input').fill('劳动合同显示工作满4年');
          await form.locator('button').click();
          await page.waitForSelector(`form.recheck-form[data-application="${a.no}"] .message:has-text("复核申请已提交")`);
          const asked = await city.instances.settlement.dataSource.query(`SELECT code, reason FROM settlement.rechecks WHERE application_no = $1`, [a.no]);
          expect(asked).toEqual([{ code: 'WORK_YEARS', reason: '劳动合同显示工作满4年' }]);
          await form.locator('input').fill('再次申请');
          await form.locator('button').click();
          await page.waitForSelector(`form.recheck-form[data-application="${a.no}"] .message:has-text("已有待答复")`);
        }
        await shot(page, `resident-zh-${label}`);
        await page.close();
      }

      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      await page.goto(`${origin()}/lookup`);
      await page.click('#tab-resident');
      await page.fill('#token', 'not-a-token');
      await page.click('#token-submit');
      await page.waitForSelector('#resident-message:not(:empty)');
      expect(await page.textContent('#resident-message')).toBe('令牌无效或已过期，请重新获取。');
      await page.close();
    });
  });

  describe('limits', () => {
    it('refuses a client address that tried too often, whatever the pair, with RATE_LIMITED', async () => {
      const ds = city.instances.settlement.dataSource;
      await ds.query(`UPDATE settlement.settings SET value = '{"attempts": 3, "windowSeconds": 600}' WHERE key = 'lookup_limit_per_address'`);
      await ds.query(`DELETE FROM settlement.lookup_attempts`);
      const a = apps[2];
      for (let i = 0; i < 3; i++) expect(ok(await city.query(LOOKUP, { no: a.no, l: a.childId.slice(-6) })).admissionLookup.applicationNo).toBe(a.no);
      const refused = await city.query(LOOKUP, { no: a.no, l: a.childId.slice(-6) });
      expect(codes(refused)).toEqual(['RATE_LIMITED']);
      expect(codes(await city.query(LOOKUP, { no: 'SA2026-9999999', l: '000000' }))).toEqual(['RATE_LIMITED']);
      // the next window takes lookups again
      clock.advance(600_000);
      expect(ok(await city.query(LOOKUP, { no: a.no, l: a.childId.slice(-6) })).admissionLookup.rank).toBe(3);
    });

    it('limits one application number across addresses, so the 6 characters cannot be guessed from many', async () => {
      const ds = city.instances.settlement.dataSource;
      await ds.query(`UPDATE settlement.settings SET value = '{"attempts": 1000, "windowSeconds": 600}' WHERE key = 'lookup_limit_per_address'`);
      await ds.query(`UPDATE settlement.settings SET value = '{"attempts": 2, "windowSeconds": 600}' WHERE key = 'lookup_limit_per_application'`);
      clock.advance(600_000);
      const a = apps[0];
      expect(ok(await city.query(LOOKUP, { no: a.no, l: '000000' })).admissionLookup).toBeNull();
      expect(ok(await city.query(LOOKUP, { no: a.no, l: '111111' })).admissionLookup).toBeNull();
      expect(codes(await city.query(LOOKUP, { no: a.no, l: a.childId.slice(-6) }))).toEqual(['RATE_LIMITED']);
      expect(codes(await city.query(LOOKUP, { no: 'SA2026-8888888', l: '000000' }))).toEqual([]);
      expect(codes(await city.query(LOOKUP, { no: 'SA2026-8888888', l: '000000' }))).toEqual([]);
      expect(codes(await city.query(LOOKUP, { no: 'SA2026-8888888', l: '000000' }))).toEqual(['RATE_LIMITED']);
    });
  });
});
