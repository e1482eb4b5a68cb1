import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { CITY } from '../../infra/src/city';
import { eventually, FixedClock, genIdNumber, genUscc, ok, seed, startCity, type GraphQLResponse, type TestCity } from '@citypoints/test-city';
import { render, RENDERED_PATH } from '../../docs/authorization/render';
import { PRINCIPALS, SCOPES, TABLE, cellOf, type Access, type Principal, type Scope } from '../../docs/authorization/table';
import { CALLS, FIELD_CALLS, type Fixtures } from './authz-calls';

/**
 * The authorisation table (docs/authorization/table.ts, DOMAIN §9) called cell by cell through the
 * gateway: every Query and Mutation field of the composed supergraph and every entity field with
 * personal or enterprise data, for every role of §9 and anonymous, on the caller's own and on
 * another division or resident.
 */
const TOWN: Record<Scope, string> = { own: '441900003', other: '441900121' };
const VILLAGE: Record<Scope, string> = { own: '441900003001', other: '441900121001' };
const REFUSED = ['FORBIDDEN', 'UNAUTHENTICATED'];
const PROBE = process.env.AUTHZ_PROBE;
/** mutations that end a fixture (withdraw, reject, cancel, release …): called after every other cell */
const ENDING = new Set(['Mutation.releaseNeed', 'Mutation.cancelNeed', 'Mutation.withdrawSchoolApplication', 'Mutation.disqualifySchoolApplication', 'Mutation.withdrawHouseholdApplication', 'Mutation.rejectHouseholdApplication']);

describe('the authorisation table through the gateway', () => {
  let city: TestCity;
  let f: Fixtures;
  const tokens = {} as Record<Principal, string | undefined>;

  beforeAll(async () => {
    const clock = new FixedClock(new Date('2026-03-10T02:00:00Z'));
    city = await startCity({ modules: CITY, workers: true, clock, label: 'authz_table' });
    const s = seed(city);
    const admin = await city.token('CITY_ADMIN', { sub: 'authz-admin' });
    const as = async (role: Parameters<TestCity['token']>[0], division: string) => city.token(role, { sub: `authz-${String(role).toLowerCase()}-${division}`, division });

    const rA = await s.resident({ divisionCode: VILLAGE.own, name: '张三明', householdId: 'authz-household-a' });
    const housemate = await s.resident({ divisionCode: VILLAGE.own, householdId: 'authz-household-a' });
    const rC = await s.resident({ divisionCode: VILLAGE.own });
    const rD = await s.resident({ divisionCode: VILLAGE.other });
    const rB = await s.resident({ divisionCode: VILLAGE.other, name: '李四明', householdId: 'authz-household-b' });
    const eA = await s.enterprise({ divisionCode: TOWN.own });
    const eB = await s.enterprise({ divisionCode: TOWN.other });
    const oA = await s.organisation({ divisionCode: TOWN.own, members: [eA.uscc] });
    const oB = await s.organisation({ divisionCode: TOWN.other, members: [eB.uscc] });
    const residents = { own: rA.id, other: rB.id };
    // every subgraph learns of the residents through registry's events
    await eventually(async () => {
      const r = await city.query(`query($a: ID!, $b: ID!) { a: civicCard(residentId: $a) { cardNo } b: civicCard(residentId: $b) { cardNo } }`, { a: rA.id, b: rB.id }, admin);
      return r.data?.a && r.data?.b;
    }, 30_000);
    for (const id of [rA.id, rB.id, rC.id, rD.id, housemate.id]) {
      await eventually(async () => {
        const [st] = await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.residents WHERE id = $1`, [id]);
        const [vo] = await city.instances.volunteering.dataSource.query(`SELECT count(*)::int AS n FROM volunteering.residents WHERE id = $1`, [id]);
        return st.n === 1 && vo.n === 1;
      }, 30_000);
    }
    const cards = {} as Record<Scope, string>;
    const merchants = {} as Record<Scope, string>;
    const schools = {} as Record<Scope, string>;
    const schoolApps = {} as Record<Scope, string>;
    const householdApps = {} as Record<Scope, string>;
    const records = {} as Record<Scope, string>;
    const needs = {} as Record<Scope, string>;
    const openNeeds = {} as Record<Scope, string>;
    const rewards = {} as Record<Scope, string>;
    const postNeed = async (residentId: string, village: string) =>
      ok(
        await city.query(`mutation($i: PostNeedInput!) { postNeed(input: $i) { id } }`, { i: { category: 'MUTUAL_AID', title: '买菜', divisionCode: village, windowStart: new Date(clock.now().getTime() + 86_400_000).toISOString(), windowEnd: new Date(clock.now().getTime() + 90_000_000).toISOString(), idempotencyKey: randomUUID() } }, await city.token('RESIDENT', { sub: residentId })),
      ).postNeed.id as string;
    for (const sc of SCOPES) {
      cards[sc] = ok(await city.query(`query($id: ID!) { civicCard(residentId: $id) { cardNo } }`, { id: residents[sc] }, admin)).civicCard.cardNo;
      merchants[sc] = `authz-merchant-${sc}`;
      ok(await city.query(`mutation($m: ID!, $t: ID!) { registerMerchant(merchantId: $m, townCode: $t, name: "积分超市") { id } }`, { m: merchants[sc], t: TOWN[sc] }, admin));
      rewards[sc] = ok(await city.query(`mutation($m: ID!) { defineRewardItem(merchantId: $m, name: "食用油", pointsCost: 10, stock: 100) { id } }`, { m: merchants[sc] }, admin)).defineRewardItem.id;
      schools[sc] = ok(await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name: `第一小学${sc}`, townCode: TOWN[sc], seats: [{ year: 2026, grade: 'PRIMARY_1', seats: 5 }] } }, admin)).upsertSchool.id;
      schoolApps[sc] = ok(
        await city.query(`mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo } }`, {
          i: { parentId: residents[sc], childName: '王小明', childIdNumber: genIdNumber({ birthDate: '2020-03-03' }), year: 2026, grade: 'PRIMARY_1', townCode: TOWN[sc], preferences: [schools[sc]], indicators: [] },
        }, admin),
      ).submitSchoolApplication.applicationNo;
      householdApps[sc] = ok(
        await city.query(`mutation($i: SubmitHouseholdApplicationInput!) { submitHouseholdApplication(input: $i) { applicationNo } }`, { i: { applicantId: residents[sc], townCode: TOWN[sc], indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }] } }, admin),
      ).submitHouseholdApplication.applicationNo;
      records[sc] = ok(
        await city.query(`mutation($i: RegisterCivicRecordInput!) { registerCivicRecord(input: $i) { id } }`, { i: { residentId: residents[sc], itemCode: 'BRAVE_RESCUE', occurredOn: '2026-01-05', idempotencyKey: randomUUID() } }, await as('VILLAGE_REGISTRAR', VILLAGE[sc])),
      ).registerCivicRecord.id;
      needs[sc] = await postNeed(residents[sc], VILLAGE[sc]);
    }
    openNeeds.own = await postNeed(rC.id, VILLAGE.own);
    openNeeds.other = await postNeed(rD.id, VILLAGE.other);
    const take = async (needId: string, volunteer: string) => {
      ok(await city.query(`mutation($id: ID!) { registerVolunteer(residentId: $id) { registered } }`, { id: volunteer }, admin));
      ok(await city.query(`mutation($id: ID!) { takeNeed(needId: $id, role: PRIMARY) { id } }`, { id: needId }, await city.token('RESIDENT', { sub: volunteer })));
      return needId;
    };
    const takenNeeds = { own: await take(await postNeed(rC.id, VILLAGE.own), rA.id), other: await take(await postNeed(rD.id, VILLAGE.other), housemate.id) };
    f = {
      residents,
      openNeeds,
      takenNeeds,
      rewards,
      giftees: { own: housemate.id, other: rB.id },
      enterprises: { own: eA.uscc, other: eB.uscc },
      organisations: { own: oA.uscc, other: oB.uscc },
      merchants,
      schools,
      schoolApps,
      householdApps,
      records,
      needs,
      cards,
      idNumbers: { own: rA.idNumber, other: rB.idNumber },
      towns: TOWN,
      villages: VILLAGE,
      childIdNumber: () => genIdNumber({ birthDate: '2020-04-04' }),
      newIdNumber: () => genIdNumber(),
      newUscc: (prefix) => genUscc(prefix),
    };
    for (const p of PRINCIPALS) {
      if (p === 'ANONYMOUS') tokens[p] = undefined;
      else if (p === 'RESIDENT') tokens[p] = await city.token(p, { sub: rA.id });
      else if (p === 'MERCHANT') tokens[p] = await city.token(p, { sub: merchants.own });
      else if (p === 'DEPARTMENT_ANALYST') tokens[p] = await city.token(p, { sub: 'authz-analyst', department: 'HUMAN_RESOURCES', purpose: 'authorisation table' });
      else if (p === 'DATA_FEED') tokens[p] = await city.token(p, { sub: 'authz-feed', department: 'HUMAN_RESOURCES' });
      else if (p === 'CITY_ADMIN') tokens[p] = admin;
      else tokens[p] = await city.token(p, { sub: `authz-${p.toLowerCase()}`, division: TOWN.own });
    }
  }, 180_000);
  afterAll(() => city?.close());

  it('has a row for every Query and Mutation field of the composed supergraph, and a call for every row', async () => {
    const r = ok(await city.query(`{ q: __type(name: "Query") { fields { name } } m: __type(name: "Mutation") { fields { name } } }`));
    const ops = [...r.q.fields.map((x: { name: string }) => `Query.${x.name}`), ...r.m.fields.map((x: { name: string }) => `Mutation.${x.name}`)].filter((n) => !n.startsWith('Query._'));
    const rows = new Set(TABLE.map((x) => x.name));
    expect(ops.filter((o) => !rows.has(o))).toEqual([]);
    expect(TABLE.filter((x) => x.kind !== 'Field').map((x) => x.name).filter((n) => !ops.includes(n))).toEqual([]);
    expect(TABLE.filter((x) => !(CALLS[x.name] ?? FIELD_CALLS[x.name])).map((x) => x.name)).toEqual([]);
    // docs/authorization.md is the table as rendered (node -r @swc-node/register docs/authorization/render.ts)
    expect(fs.readFileSync(RENDERED_PATH, 'utf8')).toBe(render());
  });

  /** What a cell's answer shows: refused, masked (every name and ID number starred, or nothing), or answered. */
  function observed(row: (typeof TABLE)[number], res: GraphQLResponse): { access: Access; detail: string } {
    const codes = (res.errors ?? []).map((e) => e.extensions?.code ?? 'NONE');
    const leaf = row.name.split('.')[1];
    const root = res.data ? Object.values(res.data)[0] : null;
    /** a field row's value: the first occurrence of the field in the answer (null when a parent is null) */
    const find = (v: unknown): unknown => {
      if (v == null || typeof v !== 'object') return undefined;
      if (Array.isArray(v)) return v.map(find).find((x) => x !== undefined);
      if (leaf in (v as object)) return (v as Record<string, unknown>)[leaf];
      return Object.values(v as object).map(find).find((x) => x !== undefined);
    };
    const value = row.kind === 'Field' ? (find(res.data) ?? null) : root;
    if (codes.some((c) => REFUSED.includes(c as string)) && value == null) return { access: 'denied', detail: codes.join(',') };
    if (row.kind === 'Field' && value == null && !codes.length && root != null && row.nullIsDenied) return { access: 'denied', detail: 'null' };
    const personal = (v: unknown, k?: string): boolean[] =>
      v == null ? [] : Array.isArray(v) ? v.flatMap((x) => personal(x, k)) : typeof v === 'object' ? Object.entries(v as object).flatMap(([kk, vv]) => personal(vv, kk)) : k === 'name' || k === 'childName' || k === 'idNumberMasked' ? [/\*/.test(String(v))] : [];
    const marks = personal(root);
    if (row.kind !== 'Field' && marks.length && marks.every(Boolean) && !codes.some((c) => REFUSED.includes(c as string))) return { access: 'masked', detail: codes.join(',') };
    if (row.kind === 'Field' && (leaf === 'name' || leaf === 'idNumberMasked') && value != null && /\*/.test(String(value)) && (leaf === 'idNumberMasked' ? /\*{8}/.test(String(value)) : true)) return { access: 'masked', detail: '' };
    if (codes.some((c) => REFUSED.includes(c as string))) return { access: 'denied', detail: `${codes.join(',')} with data` };
    return { access: 'allowed', detail: codes.join(',') };
  }

  it('answers every cell as the table says', async () => {
    const cells: { row: (typeof TABLE)[number]; p: Principal; s: Scope; want: Access }[] = [];
    for (const row of TABLE) for (const p of PRINCIPALS) for (const s of SCOPES) cells.push({ row, p, s, want: cellOf(row, p, s) });
    // reads first, then mutations, then the mutations that end a fixture's life (an allowed mutation may change a fixture another cell uses)
    const phase = (c: (typeof cells)[number]) => (c.row.kind !== 'Mutation' ? 0 : ENDING.has(c.row.name) ? 2 : 1);
    const wrong: string[] = [];
    const probe: Record<string, Record<string, string>> = {};
    for (const ph of [0, 1, 2]) {
      const batch = cells.filter((c) => phase(c) === ph);
      for (let i = 0; i < batch.length; i += 40) {
        await Promise.all(
          batch.slice(i, i + 40).map(async (c) => {
            const call = (CALLS[c.row.name] ?? FIELD_CALLS[c.row.name])(f, c.s);
            const res = await city.query(call.query, call.variables, tokens[c.p]);
            const got = observed(c.row, res);
            (probe[c.row.name] ??= {})[`${c.p}/${c.s}`] = `${got.access}${got.detail ? ' ' + got.detail : ''}`;
            // a masked cell may also answer nothing at all (null) — that shows no more than the mask
            const fine = got.access === c.want || (c.want === 'masked' && got.access === 'allowed' && (res.data == null || Object.values(res.data)[0] == null) && !res.errors?.some((e) => !['NOT_FOUND'].includes(String(e.extensions?.code))));
            if (!fine) wrong.push(`${c.row.name} ${c.p} ${c.s}: table says ${c.want}, gateway ${got.access}${got.detail ? ` (${got.detail})` : ''}${got.access === 'allowed' && c.want === 'masked' ? ' ' + JSON.stringify(res.data).slice(0, 120) : ''}`);
          }),
        );
      }
    }
    if (PROBE) fs.writeFileSync(PROBE, JSON.stringify(probe, null, 1));
    expect(wrong).toEqual([]);
  }, 600_000);
});

