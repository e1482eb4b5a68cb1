import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createTestDatabase, type DataSource, type TestDatabase } from '@citypoints/db';
import { applyOnce, CREDIT_TOPICS, REGISTRY_TOPICS, type DomainEvent, type EventHandler } from '@citypoints/events';
import type { SubgraphInstance } from '@citypoints/federation';
import { FixedClock, testQueueConnection } from '@citypoints/testing';
import { civic } from '@citypoints/civic';
import { enterpriseCredit } from '@citypoints/enterprise-credit';
import { settlement } from '@citypoints/settlement';
import { socialOrganisations, type SocialOrganisationsRuntime } from '@citypoints/social-organisations';
import { volunteering } from '@citypoints/volunteering';
import { residentEventHandlers as settlementHandlers } from '../../subgraphs/settlement/src/residents/resident.projection';
import { residentHandlers as civicHandlers } from '../../subgraphs/civic/src/residents/projection';
import { residentEventHandlers as volunteeringHandlers } from '../../subgraphs/volunteering/src/residents/resident.projection';
import { enterpriseHandlers } from '../../subgraphs/enterprise-credit/src/enterprises/enterprise.projection';
import { registryHandlers } from '../../subgraphs/social-organisations/src/organisations/projection.handlers';
import { enterpriseCreditHandlers } from '../../subgraphs/social-organisations/src/member-effects/member-effect.handlers';

/**
 * Convergence: any history of registry's and enterprise-credit's facts, delivered to every
 * consumer in any order, with exact redeliveries and the same fact republished as a new event,
 * leaves each consumer in the state in-order delivery leaves it in.
 */

const RESIDENTS = 3;
const ENTERPRISES = 3;
const ORGANISATIONS = 2;
const DIVISIONS = ['441900003001', '441900003002', '441900121001'];
const HOUSEHOLDS = ['H-A', 'H-B', null];
const STATUSES = ['NORMAL', 'WATCH', 'BLACK', 'RED'] as const;

type Op =
  | { op: 'resident'; r: number; division: number; household: number }
  | { op: 'enterprise'; e: number }
  | { op: 'organisation'; o: number }
  | { op: 'join' | 'leave'; o: number; e: number }
  | { op: 'record'; e: number; penalty: boolean; month: number }
  | { op: 'repair'; e: number }
  | { op: 'status'; e: number; status: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('resident' as const), r: fc.nat(RESIDENTS - 1), division: fc.nat(DIVISIONS.length - 1), household: fc.nat(HOUSEHOLDS.length - 1) }),
  fc.record({ op: fc.constant('enterprise' as const), e: fc.nat(ENTERPRISES - 1) }),
  fc.record({ op: fc.constant('organisation' as const), o: fc.nat(ORGANISATIONS - 1) }),
  fc.record({ op: fc.constantFrom('join' as const, 'leave' as const), o: fc.nat(ORGANISATIONS - 1), e: fc.nat(ENTERPRISES - 1) }),
  fc.record({ op: fc.constant('record' as const), e: fc.nat(ENTERPRISES - 1), penalty: fc.boolean(), month: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('repair' as const), e: fc.nat(ENTERPRISES - 1) }),
  fc.record({ op: fc.constant('status' as const), e: fc.nat(ENTERPRISES - 1), status: fc.nat(STATUSES.length - 1) }),
);

/** A fact with symbolic ids (`R0`, `E1`, `O0`, `REC3`), made concrete per run. */
interface Fact {
  topic: string;
  aggregate: string;
  version: number;
  payload: Record<string, unknown>;
  at: string;
}

/** What the producers would publish for the operations, in their order, with their versions. */
function historyOf(ops: Op[]): Fact[] {
  const facts: Fact[] = [];
  const versions = new Map<string, number>();
  const next = (stream: string, aggregate: string) => {
    const v = (versions.get(`${stream}|${aggregate}`) ?? 0) + 1;
    versions.set(`${stream}|${aggregate}`, v);
    return v;
  };
  let clock = Date.parse('2034-01-01T00:00:00Z');
  const push = (topic: string, aggregate: string, payload: Record<string, unknown>) => {
    clock += 3_600_000;
    facts.push({ topic, aggregate, version: next(topic.slice(0, topic.lastIndexOf('.')), aggregate), payload, at: new Date(clock).toISOString() });
  };
  const residents = new Set<number>();
  const enterprises = new Set<number>();
  const organisations = new Set<number>();
  const members = new Set<string>();
  const records: { id: string; e: number; repaired: boolean }[] = [];
  const status = new Map<number, string>();
  for (const o of ops) {
    switch (o.op) {
      case 'resident': {
        const topic = residents.has(o.r) ? REGISTRY_TOPICS.residentChanged.topic : REGISTRY_TOPICS.residentRegistered.topic;
        residents.add(o.r);
        push(topic, `R${o.r}`, {
          id: `R${o.r}`,
          nameMasked: '陈*',
          idNumberMasked: '441900********001X',
          birthDate: '1988-02-03',
          hukou: o.division === 2 ? 'LOCAL' : 'MIGRANT',
          divisionCode: DIVISIONS[o.division],
          householdId: HOUSEHOLDS[o.household],
        });
        break;
      }
      case 'enterprise':
        if (enterprises.has(o.e)) break;
        enterprises.add(o.e);
        push(REGISTRY_TOPICS.enterpriseRegistered.topic, `E${o.e}`, { uscc: `E${o.e}`, name: `企业${o.e}`, divisionCode: DIVISIONS[o.e % 3], industry: null, employees: 10 });
        break;
      case 'organisation':
        if (organisations.has(o.o)) break;
        organisations.add(o.o);
        push(REGISTRY_TOPICS.organisationRegistered.topic, `O${o.o}`, { uscc: `O${o.o}`, name: `商会${o.o}`, kind: 'CHAMBER_OF_COMMERCE', divisionCode: '441900003' });
        break;
      case 'join':
      case 'leave': {
        const pair = `O${o.o}|E${o.e}`;
        if ((o.op === 'join') === members.has(pair)) break;
        if (o.op === 'join') members.add(pair);
        else members.delete(pair);
        const contract = o.op === 'join' ? REGISTRY_TOPICS.membershipAdded : REGISTRY_TOPICS.membershipRemoved;
        push(contract.topic, `O${o.o}`, { organisationUscc: `O${o.o}`, enterpriseUscc: `E${o.e}`, kind: 'CHAMBER_OF_COMMERCE' });
        break;
      }
      case 'record': {
        const id = `REC${records.length}`;
        const kind = o.penalty ? 'PENALTY' : 'HONOUR';
        records.push({ id, e: o.e, repaired: false });
        const occurredOn = `2034-${String(o.month).padStart(2, '0')}-01`;
        push(CREDIT_TOPICS.recordRecorded.topic, `E${o.e}`, { recordId: id, uscc: `E${o.e}`, kind, occurredOn, publicUntil: null });
        break;
      }
      case 'repair': {
        const r = records.find((x) => x.e === o.e && !x.repaired);
        if (!r) break;
        r.repaired = true;
        push(CREDIT_TOPICS.recordRepaired.topic, `E${o.e}`, { recordId: r.id, uscc: `E${o.e}`, kind: 'PENALTY' });
        break;
      }
      case 'status': {
        const previous = status.get(o.e) ?? 'NORMAL';
        const now = STATUSES[o.status];
        if (now === previous) break;
        status.set(o.e, now);
        push(CREDIT_TOPICS.statusChanged.topic, `E${o.e}`, { uscc: `E${o.e}`, previous, status: now, changedAt: new Date(clock + 1000).toISOString() });
        break;
      }
    }
  }
  return facts;
}

/** Symbolic ids → this run's concrete ones (residents need uuids; every run needs ids of its own). */
function namesFor(): Map<string, string> {
  const run = randomUUID().slice(0, 8);
  const names = new Map<string, string>();
  for (let i = 0; i < RESIDENTS; i++) names.set(`R${i}`, randomUUID());
  for (let i = 0; i < ENTERPRISES; i++) names.set(`E${i}`, `91E${run}${i}`);
  for (let i = 0; i < ORGANISATIONS; i++) names.set(`O${i}`, `51O${run}${i}`);
  // fixed width, so no id is the prefix of another when they are turned back into symbols
  for (let i = 0; i < 40; i++) names.set(`REC${i}`, `rec-${run}-${String(i).padStart(2, '0')}`);
  return names;
}

const SYMBOL = /\b(R|E|O|REC)\d+\b/g;
const concrete = (names: Map<string, string>, v: unknown): unknown => JSON.parse(JSON.stringify(v).replace(SYMBOL, (s) => names.get(s) ?? s));
const symbolic = (names: Map<string, string>, v: unknown): unknown => {
  let text = JSON.stringify(v);
  for (const [sym, id] of names) text = text.split(id).join(sym);
  return JSON.parse(text);
};

interface Consumer {
  ds: () => DataSource;
  schema: string;
  name: string;
  handlers: () => Record<string, EventHandler>;
}

describe('every consumer converges to the in-order state, whatever the order and duplicates', () => {
  let db: TestDatabase;
  const instances: Record<string, SubgraphInstance> = {};
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('events_convergence');
    const clock = new FixedClock(new Date('2034-12-01T00:00:00Z'));
    const queue = testQueueConnection(db.url);
    for (const m of [settlement, civic, volunteering, enterpriseCredit, socialOrganisations]) {
      instances[m.name] = await m.create({ databaseUrl: db.url, queue, queuePrefix: `conv${randomUUID().slice(0, 6)}`, clock });
    }
    const so = () => instances['social-organisations'].runtime as SocialOrganisationsRuntime;
    consumers.push(
      { ds: () => instances.settlement.dataSource, schema: 'settlement', name: 'settlement', handlers: () => settlementHandlers },
      { ds: () => instances.civic.dataSource, schema: 'civic', name: 'civic', handlers: () => civicHandlers },
      { ds: () => instances.volunteering.dataSource, schema: 'volunteering', name: 'volunteering', handlers: () => volunteeringHandlers },
      { ds: () => instances['enterprise-credit'].dataSource, schema: 'enterprise_credit', name: 'enterprise-credit', handlers: () => enterpriseHandlers },
      { ds: () => instances['social-organisations'].dataSource, schema: 'social_organisations', name: 'social-organisations', handlers: () => ({ ...registryHandlers(so()), ...enterpriseCreditHandlers(so()) }) },
    );
  });
  afterAll(async () => {
    for (const i of Object.values(instances)) await i.close();
    await db?.drop();
  });

  /** Each consumer takes the events in the order given, as one worker of it would; consumers run side by side. */
  async function deliver(events: DomainEvent[]): Promise<void> {
    await Promise.all(
      consumers.map(async (c) => {
        const handlers = c.handlers();
        for (const e of events) if (handlers[e.topic]) await applyOnce(c.ds(), c.schema, c.name, handlers[e.topic], e);
      }),
    );
  }

  /** Everything the consumers hold about the run's ids, with the ids made symbolic again. */
  async function stateOf(names: Map<string, string>): Promise<unknown> {
    const ids = (p: string) => [...names].filter(([s]) => s.startsWith(p) && !s.startsWith('REC')).map(([, id]) => id);
    const [residents, enterprises, orgs] = [ids('R'), ids('E'), ids('O')];
    const q = (c: number, sql: string, params: unknown[]) => consumers[c].ds().query(sql, params);
    const snapshot = {
      settlement: await q(0, `SELECT id, name_masked, to_char(birth_date, 'YYYY-MM-DD') AS birth, division_code, household_id, hukou, versions FROM settlement.residents WHERE id = ANY($1::uuid[]) ORDER BY id`, [residents]),
      civic: await q(1, `SELECT id, division_code, household_id, name_masked, versions FROM civic.residents WHERE id = ANY($1::uuid[]) ORDER BY id`, [residents]),
      volunteering: await q(2, `SELECT id, division_code, household_id, versions FROM volunteering.residents WHERE id = ANY($1::uuid[]) ORDER BY id`, [residents]),
      enterprises: await q(3, `SELECT uscc, name, division_code, versions FROM enterprise_credit.enterprises WHERE uscc = ANY($1) ORDER BY uscc`, [enterprises]),
      organisations: await q(4, `SELECT uscc, name, kind, division_code, versions FROM social_organisations.organisations WHERE uscc = ANY($1) ORDER BY uscc`, [orgs]),
      memberships: await q(4, `SELECT organisation_uscc, enterprise_uscc FROM social_organisations.memberships WHERE organisation_uscc = ANY($1) ORDER BY 1, 2`, [orgs]),
      effects: await q(
        4,
        `SELECT organisation_uscc, enterprise_uscc, year, effect, record_kind, reference, source_key, occurred_at, removed_at, repaired_at
         FROM social_organisations.member_effects WHERE organisation_uscc = ANY($1) ORDER BY 1, 7`,
        [orgs],
      ),
      // a grading with nothing on it is the same as none: one order may have graded an organisation
      // whose only line came and went, another never had a line to grade it for
      gradings: await q(
        4,
        `SELECT uscc, year, points, grade, lines, removed_lines FROM social_organisations.gradings g
         WHERE uscc = ANY($1) AND NOT (points = 0 AND removed_lines = '[]'::jsonb AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(g.lines) l WHERE (l->>'points')::numeric <> 0))
         ORDER BY 1, 2`,
        [orgs],
      ),
      balances: await q(4, `SELECT id, balance FROM social_organisations.ledger_accounts WHERE id = ANY($1) AND balance <> 0 ORDER BY id`, [orgs.map((o) => `so:grading:${o}:2034`)]),
    };
    // rows in a canonical order: a uuid's order differs from run to run, its symbol's does not
    const sorted = symbolic(names, snapshot) as Record<string, unknown[]>;
    for (const k of Object.keys(sorted)) sorted[k] = sorted[k].map((r) => JSON.stringify(r)).sort().map((r) => JSON.parse(r));
    return sorted;
  }

  const eventsOf = (history: Fact[], names: Map<string, string>): DomainEvent[] =>
    history.map((f) => ({
      id: randomUUID(),
      topic: f.topic,
      aggregateId: names.get(f.aggregate)!,
      version: f.version,
      schemaVersion: 1,
      payload: concrete(names, f.payload) as Record<string, unknown>,
      createdAt: f.at,
      source: f.topic.startsWith('registry.') ? 'registry' : 'enterprise_credit',
    }));

  it('holds for 100 generated histories', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 4, maxLength: 16 }).chain((ops) => {
          const n = historyOf(ops).length;
          return fc.record({
            ops: fc.constant(ops),
            // a delivery position per event, then the events redelivered as they were and republished as new events
            order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
            redelivered: fc.array(fc.record({ i: fc.nat(Math.max(n - 1, 0)), at: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 4 }),
            republished: fc.array(fc.record({ i: fc.nat(Math.max(n - 1, 0)), at: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 4 }),
          });
        }),
        async ({ ops, order, redelivered, republished }) => {
          const history = historyOf(ops);
          if (!history.length) return;

          // the two deliveries touch disjoint ids, so they run side by side
          const inOrder = namesFor();
          const shuffled = namesFor();
          const events = eventsOf(history, shuffled);
          const schedule = [
            ...events.map((e, i) => ({ e, at: order[i] })),
            ...redelivered.map((d) => ({ e: events[d.i], at: d.at })),
            ...republished.map((d) => ({ e: { ...events[d.i], id: randomUUID() }, at: d.at })),
          ].sort((a, b) => a.at - b.at);
          await Promise.all([deliver(eventsOf(history, inOrder)), deliver(schedule.map((s) => s.e))]);
          expect(await stateOf(shuffled)).toEqual(await stateOf(inOrder));
        },
      ),
      { numRuns: Number(process.env.CONVERGENCE_RUNS ?? 100) },
    );
    // about 25 s on an idle machine; CI machines are shared
  }, 300_000);
});
