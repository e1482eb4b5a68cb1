import { VOLUNTEERING_TOPICS, type PayloadOf, type TopicContract } from './contracts';

/**
 * A fact about a resident that a subgraph records and another may count as verified: an amount
 * (hours, donations, honours) of one record, whose it is, and when it happened. A scheme names it
 * by `source` (the recording subgraph) and `fact`; the topic that carries it is the contract.
 */
export interface RecordFact<C extends TopicContract = TopicContract> {
  source: string;
  fact: string;
  contract: C;
  /** the record's own id within the source: one row per record, whatever the deliveries */
  ref(payload: PayloadOf<C>): string;
  residentId(payload: PayloadOf<C>): string;
  amount(payload: PayloadOf<C>): number;
  /** ISO timestamp the record counts from (a scheme's window compares it) */
  at(payload: PayloadOf<C>): string;
}

const recordFact = <C extends TopicContract>(f: RecordFact<C>): RecordFact => f as unknown as RecordFact;

/**
 * Every record fact a scheme may declare a line verified from. The next one (civic honours, blood
 * donations from the health department) is its topic in contracts.ts and an entry here; the
 * consumers that count them hold no code per fact.
 */
export const RECORD_FACTS: readonly RecordFact[] = Object.freeze([
  recordFact({
    source: 'volunteering',
    fact: 'confirmedHours',
    contract: VOLUNTEERING_TOPICS.hoursConfirmed,
    ref: (p) => p.recordId,
    residentId: (p) => p.residentId,
    amount: (p) => p.hours,
    at: (p) => p.confirmedAt,
  }),
]);

/** The record fact a scheme names, when one is defined. */
export function recordFactOf(source: string, fact: string): RecordFact | undefined {
  return RECORD_FACTS.find((f) => f.source === source && f.fact === fact);
}
