import { eventually, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { enterpriseCredit } from '@citypoints/enterprise-credit';
import { socialOrganisations } from '@citypoints/social-organisations';
import { chamberWithMember } from './chamber-fixture';

/**
 * docs/domain/07-social-organisations.md across three subgraphs through the gateway: a member enterprise turning BLACK costs
 * its chamber 10 points; when the blacklisting merely expires the line stays, and only a repair
 * that lifts a blacklisting removes its line.
 */
describe("a member's blacklisting: an expiry keeps the chamber's −10 line, a repair removes it", () => {
  let city: TestCity;
  let admin: string;
  const clock = new FixedClock(new Date('2026-06-15T02:00:00Z'));

  beforeAll(async () => {
    city = await startCity({ modules: [registry, enterpriseCredit, socialOrganisations], workers: true, clock, label: 'small_blacklisting' });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
  });
  afterAll(() => city?.close());

  it('keeps the line through an expiry and removes it on a repair', async () => {
    const { member, chamber, so } = await chamberWithMember(city);
    const grading = async () =>
      ok(await city.query(`query($o: ID!) { socialOrganisation(uscc: $o) { grading(year: 2026) { points lines { category points note } removedLines { category note } } } }`, { o: chamber.uscc }, admin))
        .socialOrganisation.grading as { points: number; lines: { category: string; points: number; note: string }[]; removedLines: { category: string; note: string }[] };
    const blacklistings = (g: Awaited<ReturnType<typeof grading>>) => g.lines.filter((l) => l.category === 'MEMBER_BLACKLISTED').map((l) => l.note);
    const record = (kind: string, occurredOn: string, publicMonths: number | null, key: string) =>
      eventually(async () => {
        const r = await city.query(
          `mutation($i: CreditRecordInput!) { recordCreditEvent(input: $i) { id } }`,
          { i: { uscc: member.uscc, kind, occurredOn, publicMonths, note: 'e2e', idempotencyKey: `${key}-${member.uscc}` } },
          admin,
        );
        return !r.errors?.length && (r.data!.recordCreditEvent as { id: string });
      });
    const status = async () => ok(await city.query(`query($e: ID!) { enterprise(uscc: $e) { credit { status } } }`, { e: member.uscc }, admin)).enterprise.credit.status;
    const liftsSeen = async () => Number((await so.query(`SELECT count(*) AS n FROM social_organisations.credit_status_turns WHERE uscc = $1 AND previous = 'BLACK' AND status <> 'BLACK'`, [member.uscc]))[0].n);

    // a severe penalty public for 3 months makes the member BLACK: the chamber loses 5 for the
    // penalty and 10 for the blacklisting
    await record('SEVERE_PENALTY', '2026-06-01', 3, 'severe-1');
    expect(await status()).toBe('BLACK');
    await eventually(async () => (await grading()).points === 15);
    expect(blacklistings(await grading())).toEqual([`member ${member.uscc} turned BLACK on 2026-06-15`]);

    // three months on the penalty is no longer public; the next recomputation lifts BLACK by expiry
    clock.set('2026-09-10T02:00:00Z');
    await record('A_TAXPAYER', '2026-09-10', null, 'tax-1');
    expect(await status()).not.toBe('BLACK');
    await eventually(async () => (await liftsSeen()) === 1);
    const expired = await grading();
    expect(expired.points).toBe(15);
    expect(blacklistings(expired)).toEqual([`member ${member.uscc} turned BLACK on 2026-06-15`]);
    expect(expired.removedLines).toEqual([]);

    // blacklisted again, then repaired: the repair removes the second blacklisting line only (a
    // repaired penalty keeps its own line)
    const second = await record('SEVERE_PENALTY', '2026-09-10', 12, 'severe-2');
    expect(await status()).toBe('BLACK');
    await eventually(async () => (await grading()).points === 0);
    clock.set('2026-12-20T02:00:00Z');
    ok(await city.query(`mutation($r: ID!) { repairCreditRecord(recordId: $r, approve: true, note: "rectified") { repaired } }`, { r: second.id }, admin));
    expect(await status()).not.toBe('BLACK');
    const repaired = await eventually(async () => {
      const g = await grading();
      return g.points === 10 && g;
    });
    expect(blacklistings(repaired)).toEqual([`member ${member.uscc} turned BLACK on 2026-06-15`]);
    expect(repaired.removedLines).toEqual([{ category: 'MEMBER_BLACKLISTED', note: `member ${member.uscc} turned BLACK on 2026-09-10` }]);
  });
});
