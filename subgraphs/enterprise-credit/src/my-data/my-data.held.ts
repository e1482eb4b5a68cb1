import type { HeldData } from '@citypoints/federation';

/**
 * What enterprise-credit holds about a resident (docs/my-data.md): nothing of them as a person.
 * Its records are enterprises' (credit records, labour reports, risk warnings); it answers so
 * that the resident's document says so, with any audited read of the resident it ever wrote.
 */
export async function enterpriseCreditHeld(): Promise<HeldData> {
  return { data: { holds: 'credit records, labour reports and risk warnings of enterprises; nothing about residents as persons' } };
}
