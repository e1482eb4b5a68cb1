/**
 * docs/domain/09-access.md, "Seeing another person", through the gateway: who may look a resident
 * up by ID number, and what an outsider sees of a resident.
 */
import { registry } from '@citypoints/registry';
import { codes, genIdNumber, ok, seed, startCity, type GraphQLResponse, type TestCity } from '@citypoints/test-city';

const TOWN = '441900003';
const VILLAGE = '441900003001';
const BY_ID_NUMBER = `query($n: String!) { residentByIdNumber(idNumber: $n) { id name idNumberMasked } }`;
const refusal = (r: GraphQLResponse) => ({ data: r.data, errors: (r.errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code })) });

let city: TestCity;
let r: { id: string; name: string; idNumber: string };

beforeAll(async () => {
  city = await startCity({ modules: [registry], workers: false, label: 'conf_access' });
  r = await seed(city).resident({ name: '张三明', divisionCode: VILLAGE });
});
afterAll(() => city.close());

describe('§9 Seeing another person', () => {
  it('CITY_ADMIN, DEPARTMENT_ANALYST (audited) and the TOWN_OFFICIAL of the resident\'s town see the full record, with the ID number masked', async () => {
    const callers = [
      await city.token('CITY_ADMIN', { sub: 'conf-admin' }),
      await city.token('DEPARTMENT_ANALYST', { sub: 'conf-analyst', department: 'EDUCATION', purpose: 'conformance' }),
      await city.token('TOWN_OFFICIAL', { division: TOWN }),
    ];
    for (const token of callers) {
      const found = ok(await city.query(BY_ID_NUMBER, { n: r.idNumber }, token)).residentByIdNumber;
      expect(found).toMatchObject({ id: r.id, name: r.name });
      expect(found.idNumberMasked).not.toBe(r.idNumber);
      expect(found.idNumberMasked).toContain('*');
    }
    const audit = await city.instances.registry.dataSource.query(`SELECT actor, purpose FROM registry.audit_log WHERE subject_id = $1 AND actor = 'conf-analyst'`, [r.id]);
    expect(audit).toEqual([{ actor: 'conf-analyst', purpose: 'conformance' }]);
  });

  it('Everyone else — another resident, a merchant, a data feed, a regulator — sees at most the masked name and the division', async () => {
    for (const token of [await city.token('RESIDENT'), await city.token('MERCHANT', { sub: 'conf-merchant' }), await city.token('DATA_FEED', { department: 'TAXATION' }), await city.token('REGULATOR', { division: TOWN })]) {
      const d = ok(await city.query(`query($id: ID!) { resident(id: $id) { id name division { code } } }`, { id: r.id }, token));
      expect(d.resident).toEqual({ id: r.id, name: '张*明', division: { code: VILLAGE } });
    }
  });

  it('residentByIdNumber answers only officials and department analysts; others get FORBIDDEN whether or not the number exists', async () => {
    const unknown = genIdNumber();
    const others = {
      resident: await city.token('RESIDENT', { sub: r.id }),
      merchant: await city.token('MERCHANT', { sub: 'conf-merchant' }),
      feed: await city.token('DATA_FEED', { department: 'TAXATION' }),
      regulator: await city.token('REGULATOR', { division: TOWN }),
    };
    for (const [who, token] of Object.entries(others)) {
      const existing = await city.query(BY_ID_NUMBER, { n: r.idNumber }, token);
      const missing = await city.query(BY_ID_NUMBER, { n: unknown }, token);
      expect({ who, codes: codes(existing) }).toEqual({ who, codes: ['FORBIDDEN'] });
      // so nobody can confirm an ID number by trying; the error reveals nothing
      expect(refusal(missing)).toEqual(refusal(existing));
      expect(JSON.stringify(existing)).not.toContain(r.id);
      expect(JSON.stringify(existing)).not.toContain(r.name);
    }
  });
});
