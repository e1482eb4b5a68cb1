import { randomUUID } from 'node:crypto';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { settlement } from '@citypoints/settlement';
import { enterpriseCredit } from '@citypoints/enterprise-credit';
import { socialOrganisationsModule } from '@citypoints/social-organisations';
import { codes, eventually, FixedClock, ok, seed, startCity, type GraphQLResponse, type TestCity } from '@citypoints/test-city';
import { DG_HUKOU, DG_HUKOU_YEAR } from '../../subgraphs/settlement/src/migrations/default-schemes';
import { watchWrites, type WriteWatch } from './write-watch';

/**
 * Codes, categories, option values and JSON keys named after what every JavaScript object
 * inherits. A service that looks a caller's string up in an object built from data or a literal
 * (`prices[material]`, `value in options`) finds `constructor` or `toString` there and goes on
 * with a function where a price or a rule was expected; looked up among the object's own keys,
 * they are unknown names like any other. Through the gateway each is refused with
 * BAD_USER_INPUT (or answered as not found), and nothing is written.
 */
const INHERITED = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];

const TOWN = '441900003';
const VILLAGE = '441900003001';

describe('names of inherited object members as codes and keys, through the gateway', () => {
  let city: TestCity;
  let writes: WriteWatch;
  let admin: string;
  const clock = new FixedClock(new Date('2026-03-10T02:00:00Z'));

  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic, settlement, enterpriseCredit, socialOrganisationsModule()], workers: true, clock, label: 'hostile_keys' });
    admin = await city.token('CITY_ADMIN', { sub: 'hostile-admin' });
    writes = await watchWrites(city);
  });
  afterAll(() => city?.close());

  /** a resident of the village, once civic's and settlement's projections have them */
  async function resident() {
    const r = await seed(city).resident({ divisionCode: VILLAGE, hukou: 'MIGRANT' });
    await eventually(async () => {
      const c = await city.instances.civic.dataSource.query(`SELECT 1 FROM civic.residents WHERE id = $1`, [r.id]);
      const s = await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.residents WHERE id = $1`, [r.id]);
      return c.length === 1 && s.length === 1;
    });
    return r;
  }

  /**
   * Calls each hostile name in turn and expects it refused with `code` (BAD_USER_INPUT unless
   * told; naming `field` when told), with nothing written to the schema of the subgraph called
   * (the others' event consumers may be busy meanwhile).
   */
  async function refusedWithoutWrites(schema: string, call: (name: string) => Promise<GraphQLResponse>, o: { code?: string; field?: string; names?: string[] } = {}) {
    for (const name of o.names ?? INHERITED) {
      const before = (await writes.since(0)).last;
      const r = await call(name);
      expect({ name, codes: codes(r) }).toEqual({ name, codes: [o.code ?? 'BAD_USER_INPUT'] });
      if (o.field) expect({ name, field: (r.errors![0].extensions as { details?: { field?: string } }).details?.field }).toEqual({ name, field: o.field });
      const wrote = (await writes.since(before)).tables.filter((t) => t.startsWith(`${schema}.`));
      expect({ name, wrote }).toEqual({ name, wrote: [] });
    }
  }
  /** waits until the schema's outbox is relayed: the relay's marks are no write of a call made after */
  const relayed = (schema: string) =>
    eventually(async () => (await city.instances.registry.dataSource.query(`SELECT 1 FROM "${schema}".outbox WHERE relayed_at IS NULL LIMIT 1`)).length === 0);

  it('civic: a material, a category or an item code so named is unknown', async () => {
    const r = await resident();
    const registrar = await city.token('VILLAGE_REGISTRAR', { sub: `registrar-${randomUUID()}`, division: VILLAGE });
    const official = await city.token('TOWN_OFFICIAL', { sub: `official-${randomUUID()}`, division: TOWN });
    await refusedWithoutWrites('civic', (material) =>
      city.query(`mutation($r: ID!, $m: String!, $k: String!) { creditRecyclables(residentId: $r, material: $m, grams: 2500, idempotencyKey: $k) { balance } }`, { r: r.id, m: material, k: randomUUID() }, registrar),
      { field: 'material' },
    );
    await refusedWithoutWrites('civic', (category) =>
      city.query(`mutation($c: String!) { defineBehaviourItem(input: { code: "ODD_ITEM", label: "奇怪", category: $c, points: -1, divisionCode: "${TOWN}" }) { code } }`, { c: category }, official),
      { field: 'category' },
    );
    await refusedWithoutWrites(
      'civic',
      (itemCode) =>
        city.query(`mutation($i: RegisterCivicRecordInput!) { registerCivicRecord(input: $i) { id } }`, { i: { residentId: r.id, itemCode, occurredOn: '2026-03-01', idempotencyKey: randomUUID() } }, registrar),
      { code: 'NOT_FOUND' },
    );
    // the real names still work
    expect(ok(await city.query(`mutation($r: ID!, $k: String!) { creditRecyclables(residentId: $r, material: "PAPER", grams: 2500, idempotencyKey: $k) { balance } }`, { r: r.id, k: randomUUID() }, registrar)).creditRecyclables.balance).toBe(3);
  });

  it('settlement: an option value, an item code or a stage so named is unknown; a scheme keyed so is refused', async () => {
    const officer = await city.token('HUKOU_OFFICER', { sub: `hukou-${randomUUID()}`, division: TOWN });
    const SUBMIT = `mutation($i: SubmitHouseholdApplicationInput!) { submitHouseholdApplication(input: $i) { applicationNo points { total } } }`;
    const applicant = await resident();
    await refusedWithoutWrites('settlement', (value) =>
      city.query(SUBMIT, { i: { applicantId: applicant.id, townCode: TOWN, indicators: [{ code: 'EDUCATION', value }], idempotencyKey: randomUUID() } }, officer),
      { field: 'indicators' },
    );
    await refusedWithoutWrites('settlement', (code) => city.query(SUBMIT, { i: { applicantId: applicant.id, townCode: TOWN, indicators: [{ code, value: '1' }], idempotencyKey: randomUUID() } }, officer));

    const application = ok(await city.query(SUBMIT, { i: { applicantId: applicant.id, townCode: TOWN, indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }], idempotencyKey: randomUUID() } }, officer))
      .submitHouseholdApplication;
    await relayed('settlement');
    await refusedWithoutWrites('settlement', (stage) => city.query(`mutation($n: ID!, $s: String!) { completeHouseholdStage(applicationNo: $n, stage: $s) { applicationNo } }`, { n: application.applicationNo, s: stage }, officer), { field: 'stage' });

    // option keys are codes: one named after an inherited member is refused at publishing
    await refusedWithoutWrites('settlement', (key) => {
      const items = DG_HUKOU.items.map((i) => (i.kind === 'OPTION' && i.code === 'EDUCATION' ? { ...i, options: JSON.parse(`{"${key}": 40, "COLLEGE": 60}`) } : i));
      return city.query(
        `mutation($d: JSON!, $y: Int!) { publishPointsScheme(kind: HOUSEHOLD_REGISTRATION, code: "ODD-KEYS", year: $y, definition: $d) { version } }`,
        { d: { ...DG_HUKOU, items }, y: DG_HUKOU_YEAR + 20 },
        admin,
      );
    });
    for (const code of INHERITED) {
      expect(ok(await city.query(`query($c: String) { pointsSchemeHistory(kind: HOUSEHOLD_REGISTRATION, code: $c) { version } }`, { c: code }, admin)).pointsSchemeHistory).toEqual([]);
    }
  });

  it('enterprise credit and social organisations: a category, a period or a scheme code so named is unknown', async () => {
    const e = await seed(city).enterprise({ divisionCode: TOWN });
    await eventually(async () => (await city.instances['enterprise-credit'].dataSource.query(`SELECT 1 FROM enterprise_credit.enterprises WHERE uscc = $1`, [e.uscc])).length === 1);
    await refusedWithoutWrites('enterprise_credit', (period) => city.query(`query($p: String!) { labourRiskScheme(period: $p) { version } }`, { p: period }, admin));
    for (const code of INHERITED) {
      expect(ok(await city.query(`query($c: String!) { organisationGradingSchemes(code: $c) { version } }`, { c: code }, admin)).organisationGradingSchemes).toEqual([]);
    }
    const feed = await city.token('DATA_FEED', { sub: 'market-feed', department: 'MARKET_REGULATION' });
    // upper-cased, `__proto__` is no category code; the others are codes of no area (GENERAL)
    const record = (category: string) =>
      city.query(`mutation($i: CreditRecordInput!) { recordCreditEvent(input: $i) { area } }`, { i: { uscc: e.uscc, kind: 'PENALTY', occurredOn: '2026-03-01', category, idempotencyKey: randomUUID() } }, feed);
    await refusedWithoutWrites('enterprise_credit', record, { field: 'category', names: ['__proto__'] });
    for (const category of INHERITED.filter((n) => n !== '__proto__')) expect(ok(await record(category)).recordCreditEvent.area).toBe('GENERAL');
  });
});
