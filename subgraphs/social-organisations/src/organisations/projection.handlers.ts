import { z } from 'zod';
import type { EventHandler } from '@citypoints/events';
import { SCHEMA } from '../runtime';
import { ORGANISATION_KINDS } from '../scheme/scheme.rules';

const organisationRegistered = z.object({ uscc: z.string().min(1), name: z.string(), kind: z.enum(ORGANISATION_KINDS), divisionCode: z.string().min(1) });
const membershipAdded = z.object({ organisationUscc: z.string().min(1), enterpriseUscc: z.string().min(1), kind: z.enum(ORGANISATION_KINDS) });

/** Parses an event's payload; a payload that breaks its topic's contract fails the job and stays for inspection. */
export function payloadOf<T>(schema: z.ZodType<T>, topic: string, payload: unknown): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new Error(`${topic}: malformed payload: ${parsed.error.message}`);
  return parsed.data;
}

export const registryHandlers: Record<string, EventHandler> = {
  'registry.organisation.registered': async (m, e) => {
    const p = payloadOf(organisationRegistered, e.topic, e.payload);
    await m.query(
      `INSERT INTO "${SCHEMA}".organisations (uscc, name, kind, division_code) VALUES ($1, $2, $3, $4)
       ON CONFLICT (uscc) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, division_code = EXCLUDED.division_code, updated_at = now()`,
      [p.uscc, p.name, p.kind, p.divisionCode],
    );
  },
  'registry.membership.added': async (m, e) => {
    const p = payloadOf(membershipAdded, e.topic, e.payload);
    // events are not ordered: the organisation may not be known yet, and its registration fills in the rest
    await m.query(`INSERT INTO "${SCHEMA}".organisations (uscc, kind) VALUES ($1, $2) ON CONFLICT (uscc) DO NOTHING`, [p.organisationUscc, p.kind]);
    await m.query(`INSERT INTO "${SCHEMA}".memberships (organisation_uscc, enterprise_uscc) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
      p.organisationUscc,
      p.enterpriseUscc,
    ]);
  },
};
