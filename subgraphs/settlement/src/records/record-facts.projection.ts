import { defineProjection, parsePayload, RECORD_FACTS, type EventHandler, type RecordFact } from '@citypoints/events';
import type { Queryable as Q } from '@citypoints/kit';
import { refreshSchoolRecordLines } from '../admission/application.service';
import { SCHEMA } from '../context';
import { refreshHouseholdRecordLines } from '../household/household.service';
import { lockRecordSubjects } from '../schemes/record-lines';

/** One field group per fact: versions of two producers' streams never compare. */
const groupOf = (f: RecordFact) => `${f.source}_${f.fact}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');

/**
 * The city's record facts as settlement keeps them (`record_facts`), one row per record: whose,
 * how much, when. Each row remembers the producer's version, so a repeated or late delivery
 * changes nothing and the sums are the same for every arrival order.
 */
export const recordFactProjection = defineProjection({
  schema: SCHEMA,
  table: 'record_facts',
  keyColumn: 'key',
  keyType: 'text',
  sources: RECORD_FACTS.map((f) => ({
    contract: f.contract,
    key: (p: unknown) => `${f.source}/${f.fact}/${f.ref(p)}`,
    groups: {
      [groupOf(f)]: {
        source: () => f.source,
        fact: () => f.fact,
        resident_id: (p: unknown) => f.residentId(p),
        amount: (p: unknown) => f.amount(p),
        occurred_at: (p: unknown) => f.at(p),
      },
    },
  })),
});

/** A fact that moved the projection verifies again the lines declared on it, on every open application of its resident. */
async function refreshLines(m: Q, f: RecordFact, residentId: string): Promise<void> {
  await refreshSchoolRecordLines(m, f, residentId);
  await refreshHouseholdRecordLines(m, f, residentId);
}

/** One handler per record-fact topic, for settlement's EventConsumer. */
export const recordFactHandlers: Record<string, EventHandler> = Object.fromEntries(
  RECORD_FACTS.map((f): [string, EventHandler] => [
    f.contract.topic,
    async (m, e) => {
      const payload = parsePayload(f.contract, e.payload);
      const residentId = f.residentId(payload);
      await lockRecordSubjects(m, [residentId]);
      if (await recordFactProjection.apply(m, f.contract, payload, e.version)) await refreshLines(m, f, residentId);
    },
  ]),
);
