import { z } from 'zod';

/**
 * The payload contract of one topic: its name, the version of its schema, and the zod schema
 * that producers validate before publishing and consumers parse on receipt. A change that breaks
 * readers gets a new topic version (and a new schema) rather than an edit of this one.
 */
export interface TopicContract<S extends z.ZodTypeAny = z.ZodTypeAny> {
  topic: string;
  /** version of the payload schema (not of the aggregate) */
  schemaVersion: number;
  schema: S;
}

export type PayloadOf<C extends TopicContract> = z.infer<C['schema']>;

export function defineTopic<S extends z.ZodTypeAny>(topic: string, schemaVersion: number, schema: S): TopicContract<S> {
  return Object.freeze({ topic, schemaVersion, schema });
}

/** Parses a payload against its contract; a payload that breaks it fails the job and stays for inspection. */
export function parsePayload<C extends TopicContract>(contract: C, payload: unknown): PayloadOf<C> {
  const parsed = contract.schema.safeParse(payload);
  if (!parsed.success) throw new Error(`${contract.topic} v${contract.schemaVersion}: malformed payload: ${parsed.error.message}`);
  return parsed.data;
}

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'not a uuid');
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'not a YYYY-MM-DD date');
const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a timestamp');
const divisionCode = z.string().regex(/^[0-9]{2,12}$/, 'not a division code');

export const ORGANISATION_KIND_VALUES = ['CHAMBER_OF_COMMERCE', 'INDUSTRY_ASSOCIATION', 'PRIVATE_NON_ENTERPRISE', 'FOUNDATION'] as const;

/**
 * A resident's state as registry publishes it on every registration and change (schema version 2):
 * what the consumers keep — the masked name (civic, settlement), the birth date and hukou
 * (settlement's scoring), the division and the household (all three) — and nothing that names the
 * person's ID number. Version 1 also carried `idNumberMasked`, whose region and sequence digits
 * with the birth date spelled the whole ID number on the bus (DOMAIN.md §9); no consumer kept it.
 * A version-1 payload still parses (the extra field is dropped on parsing), so events published
 * before the change and waiting in an outbox or a queue are read as before.
 */
export const residentState = z.object({
  id: uuid,
  nameMasked: z.string(),
  birthDate: isoDay,
  hukou: z.enum(['LOCAL', 'MIGRANT']),
  divisionCode,
  householdId: z.string().nullable(),
});
export type ResidentState = z.infer<typeof residentState>;

/** Version 1 of the resident state, as producers before schema version 2 published it: read, never published. */
export const residentStateV1 = residentState.extend({ idNumberMasked: z.string() });
export type ResidentStateV1 = z.infer<typeof residentStateV1>;

const householdMove = z.object({ residentId: uuid, householdId: z.string().min(1) });

export const enterpriseState = z.object({
  uscc: z.string().min(1),
  name: z.string(),
  divisionCode,
  industry: z.string().nullable(),
  employees: z.number().int().nullable(),
});
export type EnterpriseState = z.infer<typeof enterpriseState>;

export const organisationState = z.object({
  uscc: z.string().min(1),
  name: z.string(),
  kind: z.enum(ORGANISATION_KIND_VALUES),
  divisionCode,
});
export type OrganisationState = z.infer<typeof organisationState>;

const membership = z.object({ organisationUscc: z.string().min(1), enterpriseUscc: z.string().min(1), kind: z.enum(ORGANISATION_KIND_VALUES) });

/** Registry's facts. Resident events are versioned per resident; household events per household. */
export const REGISTRY_TOPICS = {
  residentRegistered: defineTopic('registry.resident.registered', 2, residentState),
  residentChanged: defineTopic('registry.resident.changed', 2, residentState),
  householdJoined: defineTopic('registry.household.joined', 1, householdMove),
  householdLeft: defineTopic('registry.household.left', 1, householdMove),
  enterpriseRegistered: defineTopic('registry.enterprise.registered', 1, enterpriseState),
  organisationRegistered: defineTopic('registry.organisation.registered', 1, organisationState),
  membershipAdded: defineTopic('registry.membership.added', 1, membership),
  membershipRemoved: defineTopic('registry.membership.removed', 1, membership),
} as const;

/** Enterprise-credit's facts, versioned per enterprise (record stream and status stream apart). */
export const CREDIT_TOPICS = {
  recordRecorded: defineTopic(
    'enterprise-credit.record.recorded',
    1,
    z.object({ recordId: z.string().min(1), uscc: z.string().min(1), kind: z.string().min(1), occurredOn: isoDay, publicUntil: isoDay.nullable().optional() }),
  ),
  recordRepaired: defineTopic('enterprise-credit.record.repaired', 1, z.object({ recordId: z.string().min(1), uscc: z.string().min(1), kind: z.string() })),
  statusChanged: defineTopic(
    'enterprise-credit.status.changed',
    1,
    z.object({
      uscc: z.string().min(1),
      previous: z.string().nullable().optional(),
      status: z.string().min(1),
      changedAt: timestamp,
      /** why the status left BLACK: REPAIR or EXPIRY; absent from producers before the field */
      cause: z.enum(['REPAIR', 'EXPIRY']).nullable().optional(),
    }),
  ),
} as const;

/**
 * Volunteer points at the points supermarket, a saga between civic and volunteering: civic asks
 * for a redemption's points (versioned per redemption; asked again by its recovery job), or,
 * once it has given a redemption up, asks to cancel it; volunteering answers either with its
 * decision, which is final and the same at every answer.
 */
export const EXCHANGE_TOPICS = {
  redemptionRequested: defineTopic('civic.volunteer-redemption.requested', 1, z.object({ redemptionId: uuid, residentId: uuid, points: z.number().int().positive() })),
  /** civic gave the redemption up (pending too long): refuse it unless already decided, and answer the decision */
  redemptionCancelled: defineTopic('civic.volunteer-redemption.cancelled', 1, z.object({ redemptionId: uuid, residentId: uuid, points: z.number().int().positive() })),
  debitDecided: defineTopic(
    'volunteering.supermarket-debit.decided',
    1,
    z.object({
      redemptionId: uuid,
      outcome: z.enum(['DEBITED', 'REFUSED']),
      balanceAfter: z.number().int().nonnegative().nullable(),
      /** why a REFUSED redemption was refused; absent from producers before the field (read as INSUFFICIENT_POINTS) */
      cause: z.enum(['INSUFFICIENT_POINTS', 'ABANDONED']).nullable().optional(),
    }),
  ),
} as const;

/**
 * Volunteering's facts. `hoursConfirmed` is one record of confirmed service hours (a service the
 * requester or the 72-hour job confirmed, or hours an administrator entered), versioned per record:
 * the hours credited, whose they are and when they were confirmed. Hours an administrator entered
 * earn no points but count as hours.
 */
export const VOLUNTEERING_TOPICS = {
  hoursConfirmed: defineTopic(
    'volunteering.hours.confirmed',
    1,
    z.object({
      recordId: z.string().min(1),
      residentId: uuid,
      /** the service need confirmed; null for hours an administrator entered */
      needId: uuid.nullable(),
      hours: z.number().nonnegative(),
      confirmedAt: timestamp,
      enteredBy: z.enum(['SERVICE', 'ADMINISTRATOR']),
    }),
  ),
} as const;

const BY_TOPIC: ReadonlyMap<string, TopicContract> = new Map(
  [...Object.values(REGISTRY_TOPICS), ...Object.values(CREDIT_TOPICS), ...Object.values(EXCHANGE_TOPICS), ...Object.values(VOLUNTEERING_TOPICS)].map((c) => [c.topic, c as TopicContract]),
);

/** The contract of a topic, when one is defined here. */
export function contractOf(topic: string): TopicContract | undefined {
  return BY_TOPIC.get(topic);
}
