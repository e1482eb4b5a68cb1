import { randomUUID } from 'node:crypto';
import { codes, eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { createQueue } from '@citypoints/jobs';
import { DAY, HOUR } from '@citypoints/kit';
import { Ledger } from '@citypoints/ledger';
import { registry } from '@citypoints/registry';
import { residentEventHandlers, runVolunteeringJob, VOLUNTEERING_JOBS_QUEUE, volunteering, type VolunteeringRuntime } from '@citypoints/volunteering';

const PROFILE = `hours administratorHours points stars nextStarAt registered`;
const NEED = `id status escrowPoints hours rating confirmedBy requester { id } primary { id } backup { id } division { code }`;

describe('volunteering through the gateway', () => {
  let city: TestCity;
  let clock: FixedClock;
  let admin: string;

  beforeAll(async () => {
    clock = new FixedClock(new Date('2026-03-02T00:00:00Z'));
    city = await startCity({ modules: [registry, volunteering], workers: true, clock });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
  });
  afterAll(() => city.close());

  const ds = () => city.instances.volunteering.dataSource;
  const rt = () => city.instances.volunteering.runtime as VolunteeringRuntime;

  /** A resident registered in registry, once volunteering has learnt of them from the events. */
  async function resident(o: { householdId?: string; divisionCode?: string } = {}) {
    const r = await seed(city).resident(o);
    await eventually(async () => {
      const rows = await ds().query(`SELECT household_id FROM volunteering.residents WHERE id = $1 AND division_code IS NOT NULL`, [r.id]);
      return rows.length === 1 && rows[0].household_id === (o.householdId ?? null);
    });
    const token = await city.token('RESIDENT', { sub: r.id });
    return { ...r, token };
  }
  type Person = Awaited<ReturnType<typeof resident>>;

  async function volunteer(o: { householdId?: string; divisionCode?: string } = {}) {
    const p = await resident(o);
    ok(await city.query(`mutation($id: ID!) { registerVolunteer(residentId: $id, skills: ["陪护"]) { registered } }`, { id: p.id }, p.token));
    return p;
  }

  const window = (fromNowHours = 1, lengthHours = 4) => ({
    windowStart: new Date(clock.now().getTime() + fromNowHours * HOUR).toISOString(),
    windowEnd: new Date(clock.now().getTime() + (fromNowHours + lengthHours) * HOUR).toISOString(),
  });
  let keys = 0;
  async function post(requester: Person, o: { escrowPoints?: number; fromNowHours?: number; lengthHours?: number; category?: string } = {}) {
    const input = { category: o.category ?? 'MUTUAL_AID', title: '陪同老人就医', divisionCode: requester.divisionCode, escrowPoints: o.escrowPoints ?? 0, idempotencyKey: `k${++keys}`, ...window(o.fromNowHours, o.lengthHours) };
    return ok(await city.query(`mutation($i: PostNeedInput!) { postNeed(input: $i) { ${NEED} } }`, { i: input }, requester.token)).postNeed;
  }
  const act = (p: Person, mutation: string, args: string, vars: Record<string, unknown>) =>
    city.query(`mutation($id: ID!${args ? ', ' + args : ''}) { ${mutation} { ${NEED} } }`, vars, p.token);
  const take = (p: Person, id: string, role: 'PRIMARY' | 'BACKUP') => act(p, 'takeNeed(needId: $id, role: $role)', '$role: VolunteerRole!', { id, role });
  const release = (p: Person, id: string) => act(p, 'releaseNeed(needId: $id)', '', { id });
  const start = (p: Person, id: string) => act(p, 'startService(needId: $id)', '', { id });
  const complete = (p: Person, id: string, hours: number) => act(p, 'completeService(needId: $id, hours: $h)', '$h: Float!', { id, h: hours });
  const confirm = (p: Person, id: string, rating: number) => act(p, 'confirmService(needId: $id, rating: $r)', '$r: Int!', { id, r: rating });
  const cancel = (p: Person, id: string) => act(p, 'cancelNeed(needId: $id)', '', { id });
  const profile = async (p: Person) => ok(await city.query(`{ myVolunteerProfile { ${PROFILE} } }`, {}, p.token)).myVolunteerProfile;

  /** A full service, so that `v` earns hours × 10 points. */
  async function earn(v: Person, hours: number) {
    const requester = await resident();
    const need = await post(requester);
    ok(await take(v, need.id, 'PRIMARY'));
    ok(await start(v, need.id));
    ok(await complete(v, need.id, hours));
    ok(await confirm(requester, need.id, 5));
  }

  it('pays B 80 points for 8 credited hours plus the 50 escrowed when A gives up, and updates the stars at the thresholds', async () => {
    const requester = await volunteer();
    const a = await volunteer();
    const b = await volunteer();
    await earn(requester, 5);
    expect(await profile(requester)).toMatchObject({ points: 50, hours: 5 });

    const official = await city.token('TOWN_OFFICIAL', { sub: 'official-1', division: b.divisionCode.slice(0, 9) });
    const recorded = ok(await city.query(`mutation($id: ID!) { recordAdministratorHours(residentId: $id, hours: 92, note: "纸质台账", idempotencyKey: "paper-1") { ${PROFILE} } }`, { id: b.id }, official));
    expect(recorded.recordAdministratorHours).toMatchObject({ hours: 92, administratorHours: 92, points: 0, stars: 0, nextStarAt: 100 });

    const need = await post(requester, { escrowPoints: 50 });
    expect(need).toMatchObject({ status: 'OPEN', escrowPoints: 50, requester: { id: requester.id }, division: { code: requester.divisionCode } });
    expect((await profile(requester)).points).toBe(0);

    expect(ok(await take(a, need.id, 'PRIMARY')).takeNeed).toMatchObject({ status: 'TAKEN', primary: { id: a.id }, backup: null });
    expect(ok(await take(b, need.id, 'BACKUP')).takeNeed).toMatchObject({ status: 'TAKEN', primary: { id: a.id }, backup: { id: b.id } });
    expect(ok(await release(a, need.id)).releaseNeed).toMatchObject({ status: 'TAKEN', primary: { id: b.id }, backup: null });
    expect(codes(await start(a, need.id))).toEqual(['FORBIDDEN']);
    ok(await start(b, need.id));
    expect(ok(await complete(b, need.id, 10)).completeService).toMatchObject({ status: 'COMPLETED', hours: 10 });
    const confirmed = ok(
      await city.query(
        `mutation($id: ID!) { confirmService(needId: $id, rating: 4) { status rating confirmedBy award { reportedHours creditedHours points escrowPoints schemeVersion lines { label value note } } history { from to } } }`,
        { id: need.id },
        requester.token,
      ),
    ).confirmService;
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', rating: 4, confirmedBy: 'REQUESTER', award: { reportedHours: 10, creditedHours: 8, points: 80, escrowPoints: 50, schemeVersion: 1 } });
    expect(confirmed.award.lines).toContainEqual({ label: 'credited hours', value: 8, note: 'capped at 8 hours per service' });
    expect(confirmed.history.map((h: { to: string }) => h.to)).toEqual(['OPEN', 'TAKEN', 'TAKEN', 'TAKEN', 'IN_SERVICE', 'COMPLETED', 'CONFIRMED']);

    expect(await profile(b)).toMatchObject({ points: 130, hours: 100, administratorHours: 92, stars: 1, nextStarAt: 300 });
    expect(await profile(requester)).toMatchObject({ points: 0, hours: 5 });
    expect((await profile(a)).points).toBe(0);

    // a second confirmation changes nothing
    expect(codes(await confirm(requester, need.id, 5))).toEqual(['INVALID_STATE']);
    expect((await profile(b)).points).toBe(130);

    ok(await city.query(`mutation($id: ID!) { recordAdministratorHours(residentId: $id, hours: 199.5, idempotencyKey: "paper-2") { stars } }`, { id: b.id }, official));
    expect(await profile(b)).toMatchObject({ hours: 299.5, stars: 1 });
    ok(await city.query(`mutation($id: ID!) { recordAdministratorHours(residentId: $id, hours: 0.5, idempotencyKey: "paper-3") { stars } }`, { id: b.id }, official));
    // the same entry retried with its key counts once
    ok(await city.query(`mutation($id: ID!) { recordAdministratorHours(residentId: $id, hours: 0.5, idempotencyKey: "paper-3") { stars } }`, { id: b.id }, official));
    expect(await profile(b)).toMatchObject({ hours: 300, stars: 2, points: 130 });

    // the profile as a federated extension of registry's Resident
    const seen = ok(await city.query(`query($a: ID!, $b: ID!) { a: resident(id: $a) { name volunteer { stars points } } b: resident(id: $b) { name volunteer { stars points hours } } }`, { a: a.id, b: b.id }, admin));
    expect(seen.b.volunteer).toEqual({ stars: 2, points: 130, hours: 300 });
    expect(seen.a.volunteer).toEqual({ stars: 0, points: 0 });

    const invariants = await ds().transaction((m) => new Ledger({ schema: 'volunteering' }).checkInvariants(m));
    expect(invariants).toEqual([]);
  });

  it('moves a need only along the allowed transitions and only by its parties', async () => {
    const requester = await volunteer();
    const a = await volunteer();
    const b = await volunteer();
    const stranger = await volunteer();
    const need = await post(requester);
    expect(codes(await confirm(requester, need.id, 5))).toEqual(['INVALID_STATE']);
    expect(codes(await start(a, need.id))).toEqual(['FORBIDDEN']);
    expect(codes(await take(requester, need.id, 'PRIMARY'))).toEqual(['FORBIDDEN']);
    expect(codes(await take(b, need.id, 'BACKUP'))).toEqual(['INVALID_STATE']);
    ok(await take(a, need.id, 'PRIMARY'));
    expect(codes(await take(b, need.id, 'PRIMARY'))).toEqual(['INVALID_STATE']);
    expect(codes(await cancel(stranger, need.id))).toEqual(['FORBIDDEN']);
    expect(codes(await release(stranger, need.id))).toEqual(['FORBIDDEN']);
    ok(await start(a, need.id));
    expect(codes(await cancel(requester, need.id))).toEqual(['INVALID_STATE']);
    expect(codes(await complete(a, need.id, 0))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await complete(a, need.id, 25))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await complete(a, need.id, 1.255))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await confirm(requester, need.id, 5))).toEqual(['INVALID_STATE']);
    ok(await complete(a, need.id, 2.29));
    expect(codes(await confirm(requester, need.id, 6))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await confirm(a, need.id, 5))).toEqual(['FORBIDDEN']);
    const read = ok(await city.query(`query($id: ID!) { serviceNeed(id: $id) { status hours } }`, { id: need.id }, requester.token));
    expect(read.serviceNeed).toEqual({ status: 'COMPLETED', hours: 2.29 });

    const unregistered = await resident();
    const other = await post(requester);
    expect(codes(await take(unregistered, other.id, 'PRIMARY'))).toEqual(['FORBIDDEN']);
    const officialToken = await city.token('TOWN_OFFICIAL', { division: requester.divisionCode.slice(0, 9) });
    expect(codes(await city.query(`mutation($id: ID!) { cancelNeed(needId: $id) { id } }`, { id: other.id }, officialToken))).toEqual(['FORBIDDEN']);
  });

  it('holds escrow on posting, returns it on cancellation, and refuses an escrow the requester cannot cover', async () => {
    const requester = await volunteer();
    await earn(requester, 3);
    expect(codes(await city.query(`mutation($i: PostNeedInput!) { postNeed(input: $i) { id } }`, { i: { category: 'RELIEF', title: '送餐', divisionCode: requester.divisionCode, escrowPoints: 31, idempotencyKey: 'too-much', ...window() } }, requester.token))).toEqual([
      'INSUFFICIENT_POINTS',
    ]);
    expect(Number((await ds().query(`SELECT count(*) AS n FROM volunteering.needs WHERE requester_id = $1`, [requester.id]))[0].n)).toBe(0);
    const input = { category: 'RELIEF', title: '送餐', divisionCode: requester.divisionCode, escrowPoints: 30, idempotencyKey: 'meal-1', ...window() };
    const first = ok(await city.query(`mutation($i: PostNeedInput!) { postNeed(input: $i) { id escrowPoints } }`, { i: input }, requester.token)).postNeed;
    const again = ok(await city.query(`mutation($i: PostNeedInput!) { postNeed(input: $i) { id escrowPoints } }`, { i: input }, requester.token)).postNeed;
    expect(again.id).toBe(first.id);
    expect((await profile(requester)).points).toBe(0);
    expect(ok(await cancel(requester, first.id)).cancelNeed.status).toBe('CANCELLED');
    expect((await profile(requester)).points).toBe(30);
    expect(codes(await cancel(requester, first.id))).toEqual(['INVALID_STATE']);
    expect((await profile(requester)).points).toBe(30);
  });

  it('promotes the backup when the primary has not started by the window start plus the grace period, once', async () => {
    const requester = await volunteer();
    const a = await volunteer();
    const b = await volunteer();
    const need = await post(requester, { fromNowHours: 2, lengthHours: 6 });
    ok(await take(a, need.id, 'PRIMARY'));
    ok(await take(b, need.id, 'BACKUP'));
    clock.advance(2 * HOUR + 29 * 60_000);
    expect(await runVolunteeringJob(rt(), 'promote-backups')).toBe(0);
    clock.advance(60_000);
    expect(await runVolunteeringJob(rt(), 'promote-backups')).toBe(1);
    expect(await runVolunteeringJob(rt(), 'promote-backups')).toBe(0);
    const read = ok(await city.query(`query($id: ID!) { serviceNeed(id: $id) { status primary { id } backup { id } } }`, { id: need.id }, requester.token)).serviceNeed;
    expect(read).toEqual({ status: 'TAKEN', primary: { id: b.id }, backup: null });
    expect(codes(await start(a, need.id))).toEqual(['FORBIDDEN']);
    ok(await start(b, need.id));
  });

  it('expires an untaken need after its window through the job queue and returns its escrow once', async () => {
    const requester = await volunteer();
    await earn(requester, 2);
    const need = await post(requester, { escrowPoints: 20, fromNowHours: 1, lengthHours: 2 });
    expect((await profile(requester)).points).toBe(0);
    clock.advance(3 * HOUR);
    const queue = createQueue(VOLUNTEERING_JOBS_QUEUE, city.queue, { prefix: city.queuePrefix });
    try {
      for (let run = 0; run < 2; run++) {
        const job = await queue.add('expire-needs', {});
        await eventually(async () => (await queue.getJobState(job.id!)) === 'completed');
      }
      expect((await ds().query(`SELECT status FROM volunteering.needs WHERE id = $1`, [need.id]))[0].status).toBe('EXPIRED');
    } finally {
      await queue.close();
    }
    expect((await profile(requester)).points).toBe(20);
  });

  it('confirms a completion automatically after 72 hours, unrated, and pays once', async () => {
    const requester = await volunteer();
    const v = await volunteer();
    const need = await post(requester);
    ok(await take(v, need.id, 'PRIMARY'));
    ok(await start(v, need.id));
    ok(await complete(v, need.id, 3.5));
    clock.advance(71 * HOUR);
    await runVolunteeringJob(rt(), 'auto-confirm');
    expect(ok(await city.query(`query($id: ID!) { serviceNeed(id: $id) { status } }`, { id: need.id }, requester.token)).serviceNeed.status).toBe('COMPLETED');
    clock.advance(HOUR);
    await runVolunteeringJob(rt(), 'auto-confirm');
    await runVolunteeringJob(rt(), 'auto-confirm');
    const read = ok(await city.query(`query($id: ID!) { serviceNeed(id: $id) { status confirmedBy rating award { points } } }`, { id: need.id }, requester.token)).serviceNeed;
    expect(read).toEqual({ status: 'CONFIRMED', confirmedBy: 'AUTO', rating: null, award: { points: 35 } });
    expect(await profile(v)).toMatchObject({ points: 35, hours: 3.5 });
  });

  it('tells the city of every confirmed hours record once, in the transaction that records it: by the requester, by the 72-hour job, or entered by an administrator', async () => {
    const facts = async (residentId: string) =>
      (await ds().query(
        `SELECT aggregate_id, version::int AS version, payload FROM volunteering.outbox WHERE topic = 'volunteering.hours.confirmed' AND payload->>'residentId' = $1 ORDER BY created_at`,
        [residentId],
      )) as { aggregate_id: string; version: number; payload: Record<string, unknown> }[];
    const requester = await volunteer();
    const v = await volunteer();
    const byRequester = await post(requester);
    ok(await take(v, byRequester.id, 'PRIMARY'));
    ok(await start(v, byRequester.id));
    ok(await complete(v, byRequester.id, 9.5)); // 8 hours credited
    const confirmedAt = clock.now().toISOString();
    ok(await confirm(requester, byRequester.id, 4));
    expect(codes(await confirm(requester, byRequester.id, 4))).toEqual(['INVALID_STATE']);

    const byJob = await post(requester);
    ok(await take(v, byJob.id, 'PRIMARY'));
    ok(await start(v, byJob.id));
    ok(await complete(v, byJob.id, 2));
    clock.advance(72 * HOUR);
    await runVolunteeringJob(rt(), 'auto-confirm');
    await runVolunteeringJob(rt(), 'auto-confirm');

    const town = await city.token('TOWN_OFFICIAL', { sub: 'town-hours', division: v.divisionCode.slice(0, 9) });
    const enter = () => city.query(`mutation($r: ID!) { recordAdministratorHours(residentId: $r, hours: 12.25, idempotencyKey: "paper-2019") { hours } }`, { r: v.id }, town);
    ok(await enter());
    ok(await enter());

    const published = await facts(v.id);
    expect(published.map((f) => f.payload)).toEqual([
      { recordId: published[0].aggregate_id, residentId: v.id, needId: byRequester.id, hours: 8, confirmedAt, enteredBy: 'SERVICE' },
      { recordId: published[1].aggregate_id, residentId: v.id, needId: byJob.id, hours: 2, confirmedAt: expect.any(String), enteredBy: 'SERVICE' },
      { recordId: published[2].aggregate_id, residentId: v.id, needId: null, hours: 12.25, confirmedAt: clock.now().toISOString(), enteredBy: 'ADMINISTRATOR' },
    ]);
    expect(published.map((f) => f.version)).toEqual([1, 1, 1]);
    expect(new Set(published.map((f) => f.aggregate_id)).size).toBe(3);
    expect(await profile(v)).toMatchObject({ hours: 22.25, administratorHours: 12.25 });
    expect(await facts(requester.id)).toEqual([]);
  });

  it('expires points after 3 years, oldest lots first', async () => {
    const v = await volunteer();
    await earn(v, 5);
    clock.advance(365 * DAY);
    await earn(v, 3);
    expect((await profile(v)).points).toBe(80);
    ok(await city.query(`mutation { donatePoints(points: 40, idempotencyKey: "d1") { points } }`, {}, v.token));
    expect((await profile(v)).points).toBe(40);
    // the first lot (50) paid the donation: 10 of it is left, and it expires first
    clock.advance(2 * 365 * DAY + 2 * DAY);
    expect((await profile(v)).points).toBe(30);
    await runVolunteeringJob(rt(), 'expire-points');
    expect(await runVolunteeringJob(rt(), 'expire-points')).toBe(0);
    expect((await profile(v)).points).toBe(30);
    const balance = await ds().query(`SELECT balance FROM volunteering.ledger_accounts WHERE id = $1`, [`vol:POINTS:${v.id}`]);
    expect(Number(balance[0].balance)).toBe(30);
    clock.advance(365 * DAY);
    await runVolunteeringJob(rt(), 'expire-points');
    expect(await profile(v)).toMatchObject({ points: 0, hours: 8 });
  });

  it('gives points only within the household, once per key, and never overdraws under concurrent spends', async () => {
    const giver = await volunteer({ householdId: 'VH-1' });
    const sibling = await resident({ householdId: 'VH-1' });
    const neighbour = await resident({ householdId: 'VH-2' });
    await earn(giver, 5);
    const give = (to: string, points: number, key: string) =>
      city.query(`mutation($to: ID!, $p: Int!, $k: String!) { givePoints(toResidentId: $to, points: $p, idempotencyKey: $k) { points } }`, { to, p: points, k: key }, giver.token);

    expect(codes(await give(neighbour.id, 10, 'n1'))).toEqual(['FORBIDDEN']);
    expect(ok(await give(sibling.id, 10, 'g1')).givePoints.points).toBe(40);
    expect(ok(await give(sibling.id, 10, 'g1')).givePoints.points).toBe(40);
    expect(codes(await give(sibling.id, 11, 'g1'))).toEqual(['CONFLICT']);
    expect((await profile(sibling)).points).toBe(10);
    const sameKey = await Promise.all(Array.from({ length: 6 }, () => give(sibling.id, 5, 'g2')));
    expect(sameKey.map((r) => ok(r).givePoints.points)).toEqual(Array(6).fill(35));
    expect((await profile(sibling)).points).toBe(15);

    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => give(sibling.id, 5, `c${i}`)));
    expect(results.filter((r) => !r.errors).length).toBe(7);
    expect(results.filter((r) => r.errors).every((r) => codes(r)[0] === 'INSUFFICIENT_POINTS')).toBe(true);
    expect((await profile(giver)).points).toBe(0);
    expect((await profile(sibling)).points).toBe(50);
    expect(codes(await give(giver.id, 1, 'self'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await city.query(`mutation { donatePoints(points: 1, idempotencyKey: "x") { points } }`, {}, admin))).toEqual(['FORBIDDEN']);
    const invariants = await ds().transaction((m) => new Ledger({ schema: 'volunteering' }).checkInvariants(m));
    expect(invariants).toEqual([]);
  });

  it('keeps the household projection right whatever order registry\'s events arrive in', async () => {
    const id = '0f8a4b1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b';
    // each registration or change carries the resident's whole state and registry's version of it
    const event = (topic: string, version: number, divisionCode: string, householdId: string | null) => ({
      id: randomUUID(),
      topic,
      aggregateId: id,
      version,
      schemaVersion: 1,
      payload: { id, nameMasked: '李*', idNumberMasked: '441900********0011', birthDate: '1990-01-01', hukou: 'MIGRANT', divisionCode, householdId },
      createdAt: new Date().toISOString(),
      source: 'registry',
    });
    const deliver = (...events: ReturnType<typeof event>[]) => ds().transaction(async (m) => {
      for (const e of events) await residentEventHandlers[e.topic](m, e);
    });
    const row = async () => (await ds().query(`SELECT division_code, household_id FROM volunteering.residents WHERE id = $1`, [id]))[0];
    // joined H-2 (v3) arrives before the registration in H-1 (v1) and its leaving H-1 (v2)
    await deliver(event('registry.resident.changed', 3, '441900003001', 'H-2'));
    await deliver(event('registry.resident.registered', 1, '441900003001', 'H-1'));
    await deliver(event('registry.resident.changed', 2, '441900003001', null));
    expect(await row()).toEqual({ division_code: '441900003001', household_id: 'H-2' });
    // a change delivered late does not undo a later one
    await deliver(event('registry.resident.changed', 5, '441900003002', 'H-2'));
    await deliver(event('registry.resident.changed', 4, '441900003003', 'H-1'));
    expect(await row()).toEqual({ division_code: '441900003002', household_id: 'H-2' });
    await deliver(event('registry.resident.changed', 6, '441900003002', null));
    expect(await row()).toEqual({ division_code: '441900003002', household_id: null });
  });

  it('lists needs by division, category and status with cursor pagination, and scopes officials to their division', async () => {
    const inHumen = await volunteer({ divisionCode: '441900121002' });
    for (let i = 0; i < 3; i++) await post(inHumen, { category: 'ENVIRONMENT', fromNowHours: 1 + i });
    await post(inHumen, { category: 'RELIEF' });
    const q = `query($d: ID, $c: NeedCategory, $s: NeedStatus, $f: Int, $a: String) { serviceNeeds(divisionCode: $d, category: $c, status: $s, first: $f, after: $a) { totalCount nodes { id division { code } } pageInfo { hasNextPage endCursor } } }`;
    const page1 = ok(await city.query(q, { d: '441900121', c: 'ENVIRONMENT', s: 'OPEN', f: 2 }, inHumen.token)).serviceNeeds;
    expect(page1.totalCount).toBe(3);
    expect(page1.nodes).toHaveLength(2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = ok(await city.query(q, { d: '441900121', c: 'ENVIRONMENT', s: 'OPEN', f: 2, a: page1.pageInfo.endCursor }, inHumen.token)).serviceNeeds;
    expect(page2.nodes).toHaveLength(1);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect(new Set([...page1.nodes, ...page2.nodes].map((n: { id: string }) => n.id)).size).toBe(3);

    const humenOfficial = await city.token('TOWN_OFFICIAL', { division: '441900121' });
    // a page size given: the gateway costs a list whose size it does not know at the largest page
    const own = ok(await city.query(q, { f: 20 }, humenOfficial)).serviceNeeds;
    expect(own.totalCount).toBe(4);
    expect(own.nodes.every((n: { division: { code: string } }) => n.division.code.startsWith('441900121'))).toBe(true);
    expect(codes(await city.query(q, { d: '441900003', f: 20 }, humenOfficial))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(q, { f: 0 }, inHumen.token))).toEqual(['BAD_USER_INPUT']);
    const helper = await volunteer({ divisionCode: '441900121002' });
    ok(await take(helper, page2.nodes[0].id, 'PRIMARY'));
    const mine = `{ myServiceNeeds { totalCount nodes { id } } }`;
    expect(ok(await city.query(mine, {}, inHumen.token)).myServiceNeeds.totalCount).toBe(4);
    expect(ok(await city.query(mine, {}, helper.token)).myServiceNeeds.nodes).toEqual([{ id: page2.nodes[0].id }]);
    expect(codes(await city.query(q, { f: 20 }))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses bad needs with BAD_USER_INPUT and needs outside the requester\'s division with FORBIDDEN', async () => {
    const r = await volunteer();
    const base = { category: 'RELIEF', title: '送餐', divisionCode: r.divisionCode, idempotencyKey: 'bad', ...window() };
    const postWith = (i: Record<string, unknown>) => city.query(`mutation($i: PostNeedInput!) { postNeed(input: $i) { id } }`, { i }, r.token);
    expect(codes(await postWith({ ...base, windowEnd: base.windowStart }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await postWith({ ...base, title: '' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await postWith({ ...base, escrowPoints: -1 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await postWith({ ...base, divisionCode: '4419' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await postWith({ ...base, divisionCode: '441900121001' }))).toEqual(['FORBIDDEN']);
    expect(ok(await postWith({ ...base, divisionCode: r.divisionCode.slice(0, 9) })).postNeed.id).toBeTruthy();
  });

  it("shows a volunteer profile to the resident and their town's officials, not to other residents or towns", async () => {
    const v = await volunteer({ divisionCode: '441900003002' });
    const other = await resident();
    const q = `query($id: ID!) { resident(id: $id) { volunteer { hours registered } } }`;
    expect(ok(await city.query(q, { id: v.id }, v.token)).resident.volunteer).toEqual({ hours: 0, registered: true });
    expect(codes(await city.query(q, { id: v.id }, other.token))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(q, { id: v.id }, await city.token('TOWN_OFFICIAL', { division: '441900121' })))).toContain('FORBIDDEN');
    expect(ok(await city.query(q, { id: v.id }, await city.token('TOWN_OFFICIAL', { division: '441900003' }))).resident.volunteer.registered).toBe(true);
    const analyst = await city.token('DEPARTMENT_ANALYST', { sub: 'analyst-9', department: 'CIVIL_AFFAIRS', purpose: 'volunteer award' });
    ok(await city.query(q, { id: v.id }, analyst));
    const audit = await ds().query(`SELECT actor, subject_id FROM volunteering.audit_log WHERE subject_id = $1`, [v.id]);
    expect(audit).toEqual([{ actor: 'analyst-9', subject_id: v.id }]);
  });
  it('loads the demo time bank once per seed', async () => {
    const inst = city.instances.volunteering;
    const count = async () => (await ds().query(`SELECT (SELECT count(*) FROM volunteering.volunteers) AS v, (SELECT count(*) FROM volunteering.needs) AS n, (SELECT count(*) FROM volunteering.ledger_transactions) AS t`))[0];
    const before = await count();
    await inst.seedDemo!({ seed: 11 });
    const once = await count();
    expect(Number(once.v) - Number(before.v)).toBe(300);
    expect(Number(once.n)).toBeGreaterThan(Number(before.n));
    await inst.seedDemo!({ seed: 11 });
    expect(await count()).toEqual(once);
    const invariants = await ds().transaction((m) => new Ledger({ schema: 'volunteering' }).checkInvariants(m));
    expect(invariants).toEqual([]);
  });

  // last: a new scheme version changes what later services earn
  it('pays by the scheme version in force when the service was completed and keeps the older awards explained by theirs', async () => {
    const rules = { pointsPerHour: 12, maxCreditedHoursPerService: 6, starThresholds: [50, 300, 600, 1000, 1500], pointValidityMonths: 36, autoConfirmHours: 72, backupGraceMinutes: 30 };
    const effectiveFrom = new Date(clock.now().getTime() + DAY).toISOString();
    const v = await volunteer();
    await earn(v, 7);
    expect(codes(await city.query(`mutation($e: DateTime!, $r: VolunteerSchemeRulesInput!) { publishVolunteerScheme(effectiveFrom: $e, rules: $r) { version } }`, { e: effectiveFrom, r: rules }, v.token))).toEqual(['FORBIDDEN']);
    const past = new Date(clock.now().getTime() - DAY).toISOString();
    expect(codes(await city.query(`mutation($e: DateTime!, $r: VolunteerSchemeRulesInput!) { publishVolunteerScheme(effectiveFrom: $e, rules: $r) { version } }`, { e: past, r: rules }, admin))).toEqual(['BAD_USER_INPUT']);
    const published = ok(await city.query(`mutation($e: DateTime!, $r: VolunteerSchemeRulesInput!) { publishVolunteerScheme(effectiveFrom: $e, rules: $r) { version pointsPerHour } }`, { e: effectiveFrom, r: rules }, admin));
    expect(published.publishVolunteerScheme).toEqual({ version: 2, pointsPerHour: 12 });
    expect(ok(await city.query(`{ volunteerScheme { version } }`, {}, v.token)).volunteerScheme.version).toBe(1);
    const bad = await city.query(`mutation($e: DateTime!, $r: VolunteerSchemeRulesInput!) { publishVolunteerScheme(effectiveFrom: $e, rules: $r) { version } }`, { e: effectiveFrom, r: { ...rules, starThresholds: [300, 50] } }, admin);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(ok(await city.query(`{ volunteerSchemes { version pointsPerHour } }`, {}, v.token)).volunteerSchemes).toEqual([{ version: 2, pointsPerHour: 12 }, { version: 1, pointsPerHour: 10 }]);
    clock.advance(DAY);
    await earn(v, 7);
    expect(await profile(v)).toMatchObject({ points: 70 + 72, hours: 13, stars: 0 });
    const records = ok(await city.query(`query($id: ID!) { volunteerHours(residentId: $id) { schemeVersion creditedHours points } }`, { id: v.id }, v.token)).volunteerHours;
    expect(records).toEqual([
      { schemeVersion: 2, creditedHours: 6, points: 72 },
      { schemeVersion: 1, creditedHours: 7, points: 70 },
    ]);
  });
});
