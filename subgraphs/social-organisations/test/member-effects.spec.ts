import { openSubgraphDataSource, type DataSource } from '@citypoints/db';
import { consumerQueueName, eventsMigrationSql, eventVersionsMigrationSql, eventTraceMigrationSql, OutboxRelay, publish, type DomainEvent, type EventOutcome } from '@citypoints/events';
import { createQueue, type JobQueue } from '@citypoints/jobs';
import { eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { socialOrganisations } from '@citypoints/social-organisations';

/**
 * enterprise-credit's side of the wire, as that subgraph publishes: its own schema's outbox in the
 * suite's database, relayed by a real OutboxRelay through BullMQ to this subgraph's consumer.
 */
const PUBLISHER = 'enterprise_credit_probe';

describe('member-enterprise effects from enterprise-credit events', () => {
  let city: TestCity;
  let admin: string;
  let ec: DataSource;
  let relay: OutboxRelay;
  let consumerQueue: JobQueue<DomainEvent, EventOutcome>;

  const so = () => city.instances['social-organisations'].dataSource;
  const emit = (topic: string, uscc: string, payload: Record<string, unknown>) => ec.transaction((m) => publish(m, PUBLISHER, { topic, aggregateId: uscc, payload }));
  const outcome = (eventId: string) =>
    eventually(async () => {
      const job = await consumerQueue.getJob(eventId);
      return job?.finishedOn ? (job.returnvalue as EventOutcome) : null;
    });
  const grading = async (uscc: string, year: number) =>
    ok(await city.query(`query($o: ID!, $y: Int!) { socialOrganisation(uscc: $o) { grading(year: $y) { points lines { category points note } removedLines { category points note } } } }`, { o: uscc, y: year }, admin))
      .socialOrganisation.grading as { points: number; lines: { category: string; points: number; note: string }[]; removedLines: { category: string; points: number }[] } | null;
  const memberLines = (g: Awaited<ReturnType<typeof grading>>, category: string) => (g?.lines ?? []).filter((l) => l.category === category);

  /** a chamber and an association sharing one member enterprise, known to this subgraph */
  const twoOrganisationsWithMember = async () => {
    const s = seed(city);
    const member = await s.enterprise();
    const chamber = await s.organisation({ members: [member.uscc] });
    const association = await s.organisation({ kind: 'INDUSTRY_ASSOCIATION', members: [member.uscc] });
    await eventually(async () => {
      const [{ n }] = await so().query(`SELECT count(*)::int AS n FROM social_organisations.memberships WHERE enterprise_uscc = $1`, [member.uscc]);
      return n === 2;
    });
    return { member: member.uscc, chamber: chamber.uscc, association: association.uscc };
  };

  beforeAll(async () => {
    city = await startCity({ modules: [registry, socialOrganisations], workers: true, clock: new FixedClock(new Date('2034-12-01T00:00:00Z')) });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
    ec = await openSubgraphDataSource({ url: city.db.url, schema: PUBLISHER, entities: [], migrations: [] });
    for (const sql of [...eventsMigrationSql(PUBLISHER).up, ...eventVersionsMigrationSql(PUBLISHER).up, ...eventTraceMigrationSql(PUBLISHER).up]) await ec.query(sql);
    relay = new OutboxRelay({ dataSource: ec, schema: PUBLISHER, connection: city.queue, prefix: city.queuePrefix, pollMs: 50 });
    relay.start();
    consumerQueue = createQueue<DomainEvent, EventOutcome>(consumerQueueName('social-organisations'), city.queue, { prefix: city.queuePrefix });
  });
  afterAll(async () => {
    await relay.stop();
    await consumerQueue.close();
    await ec.destroy();
    await city.close();
  });

  it('deducts 5 from every organisation of a member with a new penalty, once per record however often it arrives', async () => {
    const { member, chamber, association } = await twoOrganisationsWithMember();
    const record = { recordId: 'rec-p-1', uscc: member, kind: 'PENALTY', occurredOn: '2034-03-01', publicUntil: '2035-03-01' };
    const eventId = await emit('enterprise-credit.record.recorded', member, record);
    await eventually(async () => (await grading(chamber, 2034))?.points === -5);
    expect(await outcome(eventId)).toBe('applied');
    expect(memberLines(await grading(association, 2034), 'MEMBER_PENALTY')).toEqual([{ category: 'MEMBER_PENALTY', points: -5, note: `member ${member}: PENALTY record rec-p-1` }]);

    // the same event delivered again: the relay sends it once more after its job is gone
    await consumerQueue.remove(eventId);
    await ec.query(`UPDATE ${PUBLISHER}.outbox SET relayed_at = NULL WHERE id = $1`, [eventId]);
    expect(await outcome(eventId)).toBe('duplicate');
    // the same record published a second time, as a new event
    const republished = await emit('enterprise-credit.record.recorded', member, record);
    expect(await outcome(republished)).toBe('applied');

    // a record kind without an organisation effect, and a penalty of an enterprise that is nobody's member
    const honour = await emit('enterprise-credit.record.recorded', member, { ...record, recordId: 'rec-h-1', kind: 'HONOUR' });
    const stranger = await emit('enterprise-credit.record.recorded', 'OTHER', { ...record, recordId: 'rec-p-9', uscc: '91441900MA0000000X' });
    await outcome(honour);
    await outcome(stranger);
    const severe = await emit('enterprise-credit.record.recorded', member, { ...record, recordId: 'rec-s-1', kind: 'SEVERE_PENALTY' });
    await outcome(severe);

    const g = await grading(chamber, 2034);
    expect(memberLines(g, 'MEMBER_PENALTY').map((l) => l.points)).toEqual([-5, -5]);
    expect(g!.points).toBe(-10);
    expect((await grading(association, 2034))!.points).toBe(-10);
    const [{ balance }] = await so().query(`SELECT balance FROM social_organisations.ledger_accounts WHERE id = $1`, [`so:grading:${chamber}:2034`]);
    expect(Number(balance)).toBe(-1000);

    // a repair of a penalty is news, not a change of points
    await outcome(await emit('enterprise-credit.record.repaired', member, { recordId: 'rec-p-1', uscc: member, kind: 'PENALTY' }));
    expect((await grading(chamber, 2034))!.points).toBe(-10);
  });

  it('deducts 10 once per turn to BLACK, removes the line when a repair lifts it, and counts a later turn again', async () => {
    const { member, chamber } = await twoOrganisationsWithMember();
    const black = { uscc: member, previous: 'NORMAL', status: 'BLACK', changedAt: '2034-05-01T02:00:00.000Z' };
    const turned = await emit('enterprise-credit.status.changed', member, black);
    expect(await outcome(turned)).toBe('applied');
    expect(memberLines(await grading(chamber, 2034), 'MEMBER_BLACKLISTED')).toEqual([{ category: 'MEMBER_BLACKLISTED', points: -10, note: `member ${member} turned BLACK on 2034-05-01` }]);

    // delivered twice, and the same turn published again, and a BLACK-to-BLACK recomputation: still one line
    await consumerQueue.remove(turned);
    await ec.query(`UPDATE ${PUBLISHER}.outbox SET relayed_at = NULL WHERE id = $1`, [turned]);
    expect(await outcome(turned)).toBe('duplicate');
    await outcome(await emit('enterprise-credit.status.changed', member, black));
    await outcome(await emit('enterprise-credit.status.changed', member, { ...black, previous: 'BLACK', changedAt: '2034-06-01T02:00:00.000Z' }));
    expect((await grading(chamber, 2034))!.points).toBe(-10);

    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'BLACK', status: 'NORMAL', changedAt: '2034-09-01T02:00:00.000Z', cause: 'REPAIR' }));
    const lifted = await grading(chamber, 2034);
    expect(lifted!.points).toBe(0);
    expect(memberLines(lifted, 'MEMBER_BLACKLISTED')).toEqual([]);
    expect(lifted!.removedLines).toEqual([{ category: 'MEMBER_BLACKLISTED', points: -10, note: `member ${member} turned BLACK on 2034-05-01` }]);

    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'NORMAL', status: 'BLACK', changedAt: '2034-10-01T02:00:00.000Z' }));
    const again = await grading(chamber, 2034);
    expect(again!.points).toBe(-10);
    expect(again!.removedLines).toHaveLength(1);
  });

  it('applies a lift that overtook its blacklisting: the line arrives already removed', async () => {
    const { member, chamber } = await twoOrganisationsWithMember();
    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'BLACK', status: 'WATCH', changedAt: '2034-08-01T00:00:00.000Z', cause: 'REPAIR' }));
    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'NORMAL', status: 'BLACK', changedAt: '2034-07-01T00:00:00.000Z' }));
    const g = await grading(chamber, 2034);
    expect(g!.points).toBe(0);
    expect(g!.removedLines.map((l) => l.category)).toEqual(['MEMBER_BLACKLISTED']);
  });

  it('keeps the line when the blacklisting merely expires, and a later repair of a new blacklisting removes only that one', async () => {
    const { member, chamber } = await twoOrganisationsWithMember();
    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'NORMAL', status: 'BLACK', changedAt: '2034-02-01T00:00:00.000Z' }));
    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'BLACK', status: 'NORMAL', changedAt: '2034-05-01T00:00:00.000Z', cause: 'EXPIRY' }));
    const expired = await grading(chamber, 2034);
    expect(expired!.points).toBe(-10);
    expect(memberLines(expired, 'MEMBER_BLACKLISTED')).toHaveLength(1);
    expect(expired!.removedLines).toEqual([]);

    // blacklisted again, then repaired (the repair arriving before the turn it lifts)
    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'BLACK', status: 'NORMAL', changedAt: '2034-09-01T00:00:00.000Z', cause: 'REPAIR' }));
    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'NORMAL', status: 'BLACK', changedAt: '2034-07-01T00:00:00.000Z' }));
    const repaired = await grading(chamber, 2034);
    expect(repaired!.points).toBe(-10);
    expect(memberLines(repaired, 'MEMBER_BLACKLISTED')).toEqual([{ category: 'MEMBER_BLACKLISTED', points: -10, note: `member ${member} turned BLACK on 2034-02-01` }]);
    expect(repaired!.removedLines).toEqual([{ category: 'MEMBER_BLACKLISTED', points: -10, note: `member ${member} turned BLACK on 2034-07-01` }]);
  });

  it('tells a repair from an expiry without a cause by the repair announced in the same transaction', async () => {
    const { member, chamber } = await twoOrganisationsWithMember();
    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'NORMAL', status: 'BLACK', changedAt: '2034-03-01T00:00:00.000Z' }));
    // an expiry from a producer that does not yet say why: no repair with it, the line stays
    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'BLACK', status: 'NORMAL', changedAt: '2034-04-01T00:00:00.000Z' }));
    expect((await grading(chamber, 2034))!.points).toBe(-10);

    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'NORMAL', status: 'BLACK', changedAt: '2034-06-01T00:00:00.000Z' }));
    expect((await grading(chamber, 2034))!.points).toBe(-20);
    // the repair and the lift it causes, written in one transaction as enterprise-credit does
    const [repairedId, liftId] = await ec.transaction(async (m) => [
      await publish(m, PUBLISHER, { topic: 'enterprise-credit.record.repaired', aggregateId: member, payload: { recordId: 'rec-w-1', uscc: member, kind: 'WAGE_ARREARS_BLACKLIST' } }),
      await publish(m, PUBLISHER, { topic: 'enterprise-credit.status.changed', aggregateId: member, payload: { uscc: member, previous: 'BLACK', status: 'NORMAL', changedAt: '2034-12-01T00:00:00.000Z' } }),
    ]);
    await outcome(repairedId);
    await outcome(liftId);
    const g = await grading(chamber, 2034);
    expect(g!.points).toBe(-10);
    expect(memberLines(g, 'MEMBER_BLACKLISTED').map((l) => l.note)).toEqual([`member ${member} turned BLACK on 2034-03-01`]);
    expect(g!.removedLines.map((l) => l.category)).toEqual(['MEMBER_BLACKLISTED']);
  });

  it('takes a membership that arrives before its organisation, and completes the organisation when its registration comes', async () => {
    const org = '51441900MA5TEST01X';
    const member = '91441900MA5TEST02Y';
    await outcome(await emit('registry.membership.added', org, { organisationUscc: org, enterpriseUscc: member, kind: 'INDUSTRY_ASSOCIATION' }));
    await outcome(await emit('enterprise-credit.record.recorded', member, { recordId: 'rec-early', uscc: member, kind: 'PENALTY', occurredOn: '2034-04-01', publicUntil: null }));
    await outcome(await emit('registry.organisation.registered', org, { uscc: org, name: '东莞市模具行业协会', kind: 'INDUSTRY_ASSOCIATION', divisionCode: '441900004' }));
    const [row] = await so().query(`SELECT name, kind, division_code FROM social_organisations.organisations WHERE uscc = $1`, [org]);
    expect(row).toEqual({ name: '东莞市模具行业协会', kind: 'INDUSTRY_ASSOCIATION', division_code: '441900004' });
    const [g] = await so().query(`SELECT points FROM social_organisations.gradings WHERE uscc = $1 AND year = 2034`, [org]);
    expect(Number(g.points)).toBe(-5);
  });

  it('lowers a chamber by 10 exactly once when its member was blacklisted before the membership arrived', async () => {
    const s = seed(city);
    const member = (await s.enterprise()).uscc;
    const chamber = (await s.organisation()).uscc;
    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'NORMAL', status: 'BLACK', changedAt: '2034-05-02T00:00:00.000Z' }));
    const joined = { organisationUscc: chamber, enterpriseUscc: member, kind: 'CHAMBER_OF_COMMERCE' };
    const first = await emit('registry.membership.added', chamber, joined);
    expect(await outcome(first)).toBe('applied');
    const g = await grading(chamber, 2034);
    expect(g!.points).toBe(-10);
    expect(memberLines(g, 'MEMBER_BLACKLISTED')).toEqual([{ category: 'MEMBER_BLACKLISTED', points: -10, note: `member ${member} turned BLACK on 2034-05-02` }]);
    // the status turn delivered again after the membership: still one line
    await outcome(await emit('enterprise-credit.status.changed', member, { uscc: member, previous: 'NORMAL', status: 'BLACK', changedAt: '2034-05-02T00:00:00.000Z' }));
    expect((await grading(chamber, 2034))!.points).toBe(-10);
    const [{ balance }] = await so().query(`SELECT balance FROM social_organisations.ledger_accounts WHERE id = $1`, [`so:grading:${chamber}:2034`]);
    expect(Number(balance)).toBe(-1000);
  });
});
