import type { HeldData } from '@citypoints/federation';

/**
 * What social-organisations holds about a resident (docs/my-data.md): nothing of them as a person.
 * Its records are organisations' (memberships of enterprises, indicators, violations, gradings);
 * it keeps no audit trail of personal reads, having none to audit.
 */
export async function socialOrganisationsHeld(): Promise<HeldData> {
  return { data: { holds: 'memberships, indicators, violations and gradings of social organisations; nothing about residents as persons' } };
}
