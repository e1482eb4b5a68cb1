import { eventually, ok, seed, type TestCity } from '@citypoints/test-city';

/**
 * An enterprise and the chamber of commerce it is a member of, once social-organisations knows the
 * membership, the chamber given 30 points of basic work for 2026 by civil affairs: the start of
 * the member-effect tests (a member's credit moving the chamber's grading).
 */
export async function chamberWithMember(city: TestCity) {
  const s = seed(city);
  const member = await s.enterprise();
  const chamber = await s.organisation({ members: [member.uscc] });
  const so = city.instances['social-organisations'].dataSource;
  await eventually(async () => (await so.query(`SELECT 1 FROM social_organisations.memberships WHERE organisation_uscc = $1`, [chamber.uscc])).length === 1);
  const civilAffairs = await city.token('DATA_FEED', { department: 'CIVIL_AFFAIRS' });
  ok(
    await city.query(`mutation($i: OrganisationIndicatorInput!) { recordOrganisationIndicator(input: $i) { points } }`, {
      i: { uscc: chamber.uscc, year: 2026, category: 'BASIC_WORK', points: 30, idempotencyKey: `e2e-${chamber.uscc}` },
    }, civilAffairs),
  );
  return { member, chamber, so };
}
