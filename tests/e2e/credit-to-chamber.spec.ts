import { consumerQueueName, type DomainEvent, type EventOutcome } from '@citypoints/events';
import { createQueue, type JobQueue } from '@citypoints/jobs';
import { eventually, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { enterpriseCredit } from '@citypoints/enterprise-credit';
import { socialOrganisations } from '@citypoints/social-organisations';
import { chamberWithMember } from './chamber-fixture';

/**
 * Across three subgraphs, through the gateway and the real outbox → BullMQ → inbox path: a member
 * enterprise blacklisted in enterprise-credit costs its chamber 10 points in social-organisations,
 * once, even when the event is delivered again; a repair that lifts the blacklisting gives them back.
 */
describe('a blacklisting in enterprise-credit reaches the chamber of commerce', () => {
  let city: TestCity;
  let admin: string;
  let consumerQueue: JobQueue<DomainEvent, EventOutcome>;
  const clock = new FixedClock(new Date('2026-06-15T02:00:00Z'));

  beforeAll(async () => {
    city = await startCity({ modules: [registry, enterpriseCredit, socialOrganisations], workers: true, clock });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
    consumerQueue = createQueue<DomainEvent, EventOutcome>(consumerQueueName('social-organisations'), city.queue, { prefix: city.queuePrefix });
  });
  afterAll(async () => {
    await consumerQueue?.close();
    await city?.close();
  });

  it("lowers the chamber's points by 10 exactly once, and a repair restores them", async () => {
    const { member, chamber } = await chamberWithMember(city);
    const points = async () =>
      ok(await city.query(`query($o: ID!) { socialOrganisation(uscc: $o) { grading(year: 2026) { points lines { category points } } } }`, { o: chamber.uscc }, admin)).socialOrganisation.grading;
    expect((await points()).points).toBe(30);

    // enterprise-credit learns of the enterprise from registry's events; retrying with the same key is safe
    const recorded = await eventually(async () => {
      const r = await city.query(
        `mutation($i: CreditRecordInput!) { recordCreditEvent(input: $i) { id kind } }`,
        { i: { uscc: member.uscc, kind: 'WAGE_ARREARS_BLACKLIST', occurredOn: '2026-06-01', note: 'wages unpaid for 3 months', idempotencyKey: `e2e-black-${member.uscc}` } },
        admin,
      );
      return !r.errors?.length && r.data;
    });
    const status = ok(await city.query(`query($e: ID!) { enterprise(uscc: $e) { credit { status } } }`, { e: member.uscc }, admin));
    expect(status.enterprise.credit.status).toBe('BLACK');

    const lowered = await eventually(async () => {
      const g = await points();
      return g.points === 20 && g;
    });
    expect(lowered.lines.filter((l: { category: string }) => l.category === 'MEMBER_BLACKLISTED')).toEqual([{ category: 'MEMBER_BLACKLISTED', points: -10 }]);

    // the status event delivered a second time: its job gone, its outbox row sent again
    const ec = city.instances['enterprise-credit'].dataSource;
    const [event] = await ec.query(
      `SELECT id FROM enterprise_credit.outbox WHERE topic = 'enterprise-credit.status.changed' AND payload->>'uscc' = $1 AND payload->>'status' = 'BLACK'`,
      [member.uscc],
    );
    await consumerQueue.remove(event.id);
    await ec.query(`UPDATE enterprise_credit.outbox SET relayed_at = NULL WHERE id = $1`, [event.id]);
    const outcome = await eventually(async () => {
      const job = await consumerQueue.getJob(event.id);
      return job?.finishedOn ? (job.returnvalue as EventOutcome) : null;
    });
    expect(outcome).toBe('duplicate');
    expect((await points()).points).toBe(20);

    // seven months on, the wages paid and a pledge signed: the repair lifts BLACK and the line goes
    clock.set('2027-01-05T02:00:00Z');
    ok(
      await city.query(`mutation($r: ID!) { repairCreditRecord(recordId: $r, approve: true, wagesPaid: true, pledgeSigned: true, note: "wages paid") { repaired } }`, { r: recorded.recordCreditEvent.id }, admin),
    );
    const restored = await eventually(async () => {
      const g = await points();
      return g.points === 30 && g;
    });
    expect(restored.lines.filter((l: { category: string }) => l.category === 'MEMBER_BLACKLISTED')).toEqual([]);
  });
});
