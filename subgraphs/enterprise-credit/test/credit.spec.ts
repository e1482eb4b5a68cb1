import { codes, eventually, FixedClock, genUscc, ok, seed, startCity, withWrongCheck, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { createQueue } from '@citypoints/jobs';
import { currentLogContext } from '@citypoints/log';
import { enterpriseCredit } from '@citypoints/enterprise-credit';
import { QUEUES } from '../src/jobs';

const RECORD = `mutation($i: CreditRecordInput!) { recordCreditEvent(input: $i) { id kind department occurredOn publicUntil repaired note } }`;
const CREDIT = `query($u: ID!) { enterprise(uscc: $u) { uscc name credit { status restrictions incentives since records { id kind repaired publicUntil } } } }`;
const CHECK = `query($u: ID!, $d: RestrictedDomain!) { creditCheck(uscc: $u, domain: $d) { uscc domain allowed status reasons } }`;

describe('enterprise credit through the gateway', () => {
  let city: TestCity;
  let clock: FixedClock;
  let admin: string;
  let hr: string;
  let market: string;

  const ecDb = () => city.instances['enterprise-credit'].dataSource;
  const projected = (uscc: string) => eventually(async () => (await ecDb().query(`SELECT 1 FROM enterprise_credit.enterprises WHERE uscc = $1`, [uscc])).length > 0);
  const enterprise = async (divisionCode = '441900003') => {
    const e = await seed(city).enterprise({ divisionCode });
    await projected(e.uscc);
    return e;
  };
  const record = (token: string, i: Record<string, unknown>) => city.query(RECORD, { i: { idempotencyKey: `k-${Math.random()}`, ...i } }, token);
  const statusOf = async (uscc: string) => ok(await city.query(CREDIT, { u: uscc }, admin)).enterprise.credit.status;

  beforeAll(async () => {
    clock = new FixedClock(new Date('2026-06-15T02:00:00Z'));
    city = await startCity({ modules: [registry, enterpriseCredit], workers: true, clock });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
    hr = await city.token('DATA_FEED', { sub: 'hr-feed', department: 'HUMAN_RESOURCES' });
    market = await city.token('DATA_FEED', { sub: 'market-feed', department: 'MARKET_REGULATION' });
  });
  afterAll(() => city.close());
  beforeEach(() => clock.set('2026-06-15T02:00:00Z'));

  it('blacklists for wage arrears, refuses procurement with the reason, repairs early on the national rule, and keeps the published list', async () => {
    const e = await enterprise();
    const rec = ok(await record(hr, { uscc: e.uscc, kind: 'WAGE_ARREARS_BLACKLIST', occurredOn: '2026-06-01', note: '欠薪 37 人' })).recordCreditEvent;
    expect(rec).toMatchObject({ kind: 'WAGE_ARREARS_BLACKLIST', department: 'HUMAN_RESOURCES', occurredOn: '2026-06-01', publicUntil: '2029-06-01', repaired: false });

    const credit = ok(await city.query(CREDIT, { u: e.uscc }, admin)).enterprise;
    expect(credit.name).toBe(e.name);
    expect(credit.credit).toMatchObject({ status: 'BLACK', restrictions: ['GOVERNMENT_PROCUREMENT', 'CONSTRUCTION', 'BIDDING', 'HEALTHCARE'], incentives: [] });
    expect(credit.credit.since).toBe('2026-06-15T02:00:00.000Z');

    const refused = ok(await city.query(CHECK, { u: e.uscc, d: 'GOVERNMENT_PROCUREMENT' }, market)).creditCheck;
    expect(refused).toMatchObject({ uscc: e.uscc, allowed: false, status: 'BLACK' });
    expect(refused.reasons.join('\n')).toContain('WAGE_ARREARS_BLACKLIST recorded by HUMAN_RESOURCES on 2026-06-01, public until 2029-06-01');

    const published = ok(await city.query(`mutation { publishCreditLists(period: "2026-Q2") { id period black { uscc name } red { uscc } } }`, {}, admin)).publishCreditLists;
    expect(published.black).toContainEqual({ uscc: e.uscc, name: e.name });

    const repair = `mutation($id: ID!, $w: Boolean, $p: Boolean) { repairCreditRecord(recordId: $id, approve: true, note: "wages paid", wagesPaid: $w, pledgeSigned: $p) { id repaired } }`;
    expect(codes(await city.query(repair, { id: rec.id, w: true, p: true }, hr))).toEqual(['INVALID_STATE']);
    clock.set('2027-01-05T02:00:00Z');
    expect(codes(await city.query(repair, { id: rec.id, w: true, p: false }, hr))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await city.query(repair, { id: rec.id, w: true, p: true }, market))).toEqual(['FORBIDDEN']);
    expect(await statusOf(e.uscc)).toBe('BLACK');
    expect(ok(await city.query(repair, { id: rec.id, w: true, p: true }, hr)).repairCreditRecord).toEqual({ id: rec.id, repaired: true });

    expect(await statusOf(e.uscc)).toBe('NORMAL');
    expect(ok(await city.query(CHECK, { u: e.uscc, d: 'GOVERNMENT_PROCUREMENT' }, market)).creditCheck).toMatchObject({ allowed: true, status: 'NORMAL', reasons: [] });

    const later = ok(await city.query(`{ creditListPublication(period: "2026-Q2") { id black { uscc } } }`, {}, market)).creditListPublication;
    expect(later).toEqual({ id: published.id, black: published.black.map((b: { uscc: string }) => ({ uscc: b.uscc })) });
    const again = ok(await city.query(`mutation { publishCreditLists(period: "2026-Q2") { id black { uscc } } }`, {}, admin)).publishCreditLists;
    expect(again.id).toBe(published.id);
    expect(again.black).toContainEqual({ uscc: e.uscc });

    const events = await ecDb().query(`SELECT topic, payload FROM enterprise_credit.outbox WHERE aggregate_id = $1 ORDER BY created_at`, [e.uscc]);
    expect(events).toEqual([
      { topic: 'enterprise-credit.record.recorded', payload: { recordId: rec.id, uscc: e.uscc, kind: 'WAGE_ARREARS_BLACKLIST', occurredOn: '2026-06-01', publicUntil: '2029-06-01' } },
      { topic: 'enterprise-credit.status.changed', payload: { uscc: e.uscc, previous: 'NORMAL', status: 'BLACK', changedAt: '2026-06-15T02:00:00.000Z' } },
      { topic: 'enterprise-credit.record.repaired', payload: { recordId: rec.id, uscc: e.uscc, kind: 'WAGE_ARREARS_BLACKLIST' } },
      { topic: 'enterprise-credit.status.changed', payload: { uscc: e.uscc, previous: 'BLACK', status: 'NORMAL', changedAt: '2027-01-05T02:00:00.000Z' } },
    ]);
  });

  it('returns the first record for a repeated idempotency key and changes nothing', async () => {
    const e = await enterprise();
    const input = { uscc: e.uscc, kind: 'PENALTY', occurredOn: '2026-05-01', publicMonths: 6, idempotencyKey: `penalty-${e.uscc}` };
    const first = ok(await record(market, input)).recordCreditEvent;
    const second = ok(await record(market, input)).recordCreditEvent;
    expect(second).toEqual(first);
    const [{ n }] = await ecDb().query(`SELECT count(*)::int AS n FROM enterprise_credit.credit_records WHERE uscc = $1`, [e.uscc]);
    expect(n).toBe(1);
    expect(codes(await record(market, { ...input, kind: 'SEVERE_PENALTY' }))).toEqual(['CONFLICT']);
  });

  it('records concurrent feeds about one enterprise once per key and publishes its status change once', async () => {
    const e = await enterprise();
    const same = { uscc: e.uscc, kind: 'SEVERE_PENALTY', occurredOn: '2026-05-20', idempotencyKey: `same-${e.uscc}` };
    const results = await Promise.all([
      ...Array.from({ length: 6 }, () => record(market, same)),
      ...Array.from({ length: 4 }, (_, i) => record(hr, { uscc: e.uscc, kind: 'WAGE_ARREARS_BLACKLIST', occurredOn: '2026-05-2' + i })),
    ]);
    const ids = new Set(results.slice(0, 6).map((r) => ok(r).recordCreditEvent.id));
    expect(ids.size).toBe(1);
    results.slice(6).forEach((r) => ok(r));
    const rows = await ecDb().query(
      `SELECT (SELECT count(*)::int FROM enterprise_credit.credit_records WHERE uscc = $1) AS records,
              (SELECT count(*)::int FROM enterprise_credit.outbox WHERE aggregate_id = $1 AND topic = 'enterprise-credit.status.changed') AS changes`,
      [e.uscc],
    );
    expect(rows).toEqual([{ records: 5, changes: 1 }]);
  });

  it('checks publicity periods against the kind and category and refuses bad input without writing', async () => {
    const e = await enterprise();
    const count = async () => (await ecDb().query(`SELECT count(*)::int AS n FROM enterprise_credit.credit_records WHERE uscc = $1`, [e.uscc]))[0].n;
    expect(codes(await record(market, { uscc: e.uscc, kind: 'PENALTY', occurredOn: '2026-05-01', publicMonths: 2 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await record(market, { uscc: e.uscc, kind: 'PENALTY', occurredOn: '2026-05-01', publicMonths: 37 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await record(market, { uscc: e.uscc, kind: 'PENALTY', category: 'WORK_SAFETY', occurredOn: '2026-05-01', publicMonths: 6 }))).toEqual(['BAD_USER_INPUT']);
    // court listings come from the court's feed (docs/domain/05-enterprise-credit.md)
    const court = await city.token('DATA_FEED', { sub: 'court-feed', department: 'COURT' });
    expect(codes(await record(court, { uscc: e.uscc, kind: 'DISHONEST_DEBTOR', occurredOn: '2026-05-01', publicMonths: 12 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await record(market, { uscc: withWrongCheck(e.uscc, '0123456789ABCDEFGH'), kind: 'PENALTY', occurredOn: '2026-05-01' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await record(market, { uscc: e.uscc, kind: 'PENALTY', occurredOn: '2026-07-01' }))).toEqual(['BAD_USER_INPUT']);
    expect(await count()).toBe(0);
    const safety = ok(await record(market, { uscc: e.uscc, kind: 'PENALTY', category: 'WORK_SAFETY', occurredOn: '2026-05-01', publicMonths: 12 })).recordCreditEvent;
    expect(safety.publicUntil).toBe('2027-05-01');
    const debtor = ok(await record(court, { uscc: e.uscc, kind: 'DISHONEST_DEBTOR', occurredOn: '2026-05-01' })).recordCreditEvent;
    expect(debtor.publicUntil).toBeNull();
    expect(await count()).toBe(2);
    const resident = await city.token('RESIDENT', { sub: 'r-1' });
    expect(codes(await record(resident, { uscc: e.uscc, kind: 'PENALTY', occurredOn: '2026-05-01' }))).toEqual(['FORBIDDEN']);
  });

  it('puts two ordinary penalties on WATCH, an honoured clean enterprise on RED with incentives, and lets records expire', async () => {
    const watched = await enterprise();
    ok(await record(market, { uscc: watched.uscc, kind: 'PENALTY', occurredOn: '2026-03-01', publicMonths: 6 }));
    expect(await statusOf(watched.uscc)).toBe('NORMAL');
    ok(await record(market, { uscc: watched.uscc, kind: 'PENALTY', occurredOn: '2026-04-01', publicMonths: 3 }));
    expect(await statusOf(watched.uscc)).toBe('WATCH');

    const tax = await city.token('DATA_FEED', { department: 'TAXATION' });
    const honoured = await enterprise();
    ok(await record(tax, { uscc: honoured.uscc, kind: 'A_TAXPAYER', occurredOn: '2026-04-01' }));
    const credit = ok(await city.query(CREDIT, { u: honoured.uscc }, admin)).enterprise.credit;
    expect(credit).toMatchObject({ status: 'RED', restrictions: [], incentives: ['priority handling', 'simplified procedures', 'green channel'] });

    const blemished = await enterprise();
    ok(await record(market, { uscc: blemished.uscc, kind: 'PENALTY', occurredOn: '2025-01-10', publicMonths: 3 }));
    ok(await record(tax, { uscc: blemished.uscc, kind: 'A_TAXPAYER', occurredOn: '2026-04-01' }));
    expect(await statusOf(blemished.uscc)).toBe('NORMAL');

    // the second penalty's period ends 2026-07-01: the nightly job sees it lapse
    clock.set('2026-07-02T02:00:00Z');
    const maintenance = createQueue(QUEUES.maintenance, city.queue, { prefix: city.queuePrefix });
    try {
      await maintenance.add('nightly-status', { task: 'nightly-status' });
      await eventually(async () => (await statusOf(watched.uscc)) === 'NORMAL');
    } finally {
      await maintenance.close();
    }
  });

  it("hides an enterprise's credit from a regulator of another town and from residents", async () => {
    const e = await enterprise('441900121');
    ok(await record(market, { uscc: e.uscc, kind: 'SEVERE_PENALTY', occurredOn: '2026-05-01' }));
    const humen = await city.token('REGULATOR', { division: '441900121' });
    const dongcheng = await city.token('REGULATOR', { division: '441900003' });
    expect(ok(await city.query(CREDIT, { u: e.uscc }, humen)).enterprise.credit.status).toBe('BLACK');
    const other = await city.query(CREDIT, { u: e.uscc }, dongcheng);
    expect(codes(other)).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(CHECK, { u: e.uscc, d: 'BIDDING' }, dongcheng))).toEqual(['FORBIDDEN']);
    const resident = await city.token('RESIDENT', { sub: 'r-2' });
    expect(codes(await city.query(CHECK, { u: e.uscc, d: 'BIDDING' }, resident))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(CHECK, { u: genUscc(), d: 'BIDDING' }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await city.query(CHECK, { u: genUscc(), d: 'BIDDING' }, humen))).toEqual(['NOT_FOUND']);
  });

  it('resolves credit and labour risk of a whole published list in a fixed number of queries', async () => {
    for (let i = 0; i < 4; i++) {
      const e = await enterprise();
      ok(await record(hr, { uscc: e.uscc, kind: 'WAGE_ARREARS_BLACKLIST', occurredOn: '2026-06-01' }));
    }
    ok(await city.query(`mutation { publishCreditLists(period: "2026-06") { id } }`, {}, admin));
    const ds = ecDb();
    const query = ds.query.bind(ds);
    let statements = 0;
    ds.query = ((...args: Parameters<typeof query>) => {
      // only the statements of a request count: event consumers apply the registrations' events on
      // this pool on their own schedule, and the /metrics gauges read the outbox on it
      if (currentLogContext()?.requestId && !/to_regclass|"outbox"/.test(String(args[0]))) statements++;
      return query(...args);
    }) as typeof ds.query;
    try {
      const list = ok(await city.query(`{ creditListPublication(period: "2026-06") { black { uscc credit { status records { kind } } labourRisk { level } } } }`, {}, admin)).creditListPublication;
      expect(list.black.length).toBeGreaterThanOrEqual(5);
      expect(list.black.every((b: { credit: { status: string } }) => b.credit.status === 'BLACK')).toBe(true);
      // the publication, the enterprises' projection, the scheme, statuses, records, risk scores
      expect(statements).toBeGreaterThan(0);
      expect(statements).toBeLessThanOrEqual(6);
    } finally {
      ds.query = query;
    }
  });

  it('loads the demo city once per seed', async () => {
    const inst = city.instances['enterprise-credit'];
    const counts = async () =>
      (await ecDb().query(`SELECT (SELECT count(*) FROM enterprise_credit.credit_records WHERE recorded_by = 'demo')::int AS records,
        (SELECT count(*) FROM enterprise_credit.labour_reports WHERE source = 'demo-feed')::int AS reports,
        (SELECT count(*) FROM enterprise_credit.credit_status WHERE status = 'BLACK')::int AS black`))[0];
    await inst.seedDemo!({ seed: 31 });
    const first = await counts();
    expect(first.records).toBeGreaterThan(30);
    expect(first.reports).toBe(300);
    expect(first.black).toBeGreaterThan(10);
    // dozens of statuses change in one transaction: their events go to the outbox in one statement
    const changed = await ecDb().query(
      `SELECT o.payload FROM enterprise_credit.outbox o JOIN enterprise_credit.credit_status s ON s.uscc = o.aggregate_id
       WHERE o.topic = 'enterprise-credit.status.changed' AND o.payload->>'changedAt' = '2026-06-15T02:00:00.000Z' AND s.status = 'BLACK'`,
    );
    expect(changed.length).toBeGreaterThan(16);
    expect(Object.keys(changed[0].payload).sort()).toEqual(['changedAt', 'previous', 'status', 'uscc']);
    expect(changed[0].payload).toMatchObject({ previous: 'NORMAL', status: 'BLACK' });
    await inst.seedDemo!({ seed: 31 });
    expect(await counts()).toEqual(first);
  });
});
