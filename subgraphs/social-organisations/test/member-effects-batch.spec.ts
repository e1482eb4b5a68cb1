import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@citypoints/db';
import { applyBatchOnce, applyOnce, type DomainEvent } from '@citypoints/events';
import { FixedClock } from '@citypoints/kit';
import { socialOrganisations, type SocialOrganisationsRuntime } from '@citypoints/social-organisations';
import { applyEnterpriseCreditEvents, enterpriseCreditHandlers } from '../src/member-effects/member-effect.handlers';

const S = 'social_organisations';
const CONSUMER = 'social-organisations';

/**
 * The batch apply of enterprise-credit's events against the same events applied one by one:
 * two copies of one small world (two enterprises, each a member of a chamber and an association)
 * receive the same story, one copy event by event, the other in batches, and end with the same
 * lines, gradings and ledger balances.
 */
describe('member-enterprise effects applied in batches', () => {
  let db: TestDatabase;
  let inst: Awaited<ReturnType<typeof socialOrganisations.create>>;
  let rt: SocialOrganisationsRuntime;

  const ent = (world: string, n: number) => `91441900${world}ENT0000${n}`;
  const org = (world: string, n: number) => `51441900${world}ORG0000${n}`;

  /** the story, told in one world: penalties (one repeated), a turn to BLACK lifted by a repair, a later turn, a record kind without effect */
  const story = (w: string): DomainEvent[] => {
    const ev = (topic: string, uscc: string, payload: Record<string, unknown>, createdAt: string): DomainEvent => ({
      id: randomUUID(), topic, aggregateId: uscc, version: 1, schemaVersion: 1, payload, createdAt, source: 'enterprise_credit',
    });
    const [a, b] = [ent(w, 1), ent(w, 2)];
    const rec = (id: string, uscc: string, kind: string, on: string) => ({ recordId: `${w}-${id}`, uscc, kind, occurredOn: on, publicUntil: null });
    return [
      ev('enterprise-credit.record.recorded', a, rec('p1', a, 'PENALTY', '2034-03-01'), '2034-03-01T01:00:00.000Z'),
      ev('enterprise-credit.status.changed', a, { uscc: a, previous: 'NORMAL', status: 'BLACK', changedAt: '2034-04-01T00:00:00.000Z' }, '2034-04-01T00:00:00.000Z'),
      ev('enterprise-credit.record.recorded', b, rec('p2', b, 'SEVERE_PENALTY', '2034-05-01'), '2034-05-01T01:00:00.000Z'),
      ev('enterprise-credit.record.recorded', b, rec('h1', b, 'HONOUR', '2034-05-02'), '2034-05-02T01:00:00.000Z'),
      ev('enterprise-credit.record.recorded', b, rec('p2', b, 'SEVERE_PENALTY', '2034-05-01'), '2034-05-03T01:00:00.000Z'),
      ev('enterprise-credit.record.repaired', a, { recordId: `${w}-p1`, uscc: a, kind: 'PENALTY' }, '2034-06-01T00:00:00.000Z'),
      ev('enterprise-credit.status.changed', a, { uscc: a, previous: 'BLACK', status: 'NORMAL', changedAt: '2034-06-01T00:00:00.000Z', cause: 'REPAIR' }, '2034-06-01T00:00:00.000Z'),
      ev('enterprise-credit.status.changed', b, { uscc: b, previous: 'NORMAL', status: 'BLACK', changedAt: '2034-07-01T00:00:00.000Z' }, '2034-07-01T00:00:00.000Z'),
      ev('enterprise-credit.record.recorded', a, rec('p3', a, 'PENALTY', '2033-11-01'), '2034-07-02T01:00:00.000Z'),
    ];
  };

  /** what a world ends with, its names made neutral so two worlds compare */
  const outcome = async (w: string) => {
    const neutral = (s: string) => s.split(w).join('W');
    const lines: { org: string; ent: string; year: number; effect: string; record_kind: string | null; reference: string; removed: boolean; repaired: boolean }[] = await inst.dataSource.query(
      `SELECT organisation_uscc AS org, enterprise_uscc AS ent, year, effect, record_kind, reference, removed_at IS NOT NULL AS removed, repaired_at IS NOT NULL AS repaired
         FROM ${S}.member_effects WHERE enterprise_uscc LIKE $1 ORDER BY 1, 2, 3, 4, 6`,
      [`%${w}ENT%`],
    );
    const gradings: { uscc: string; year: number; points: string; lines: { category: string; points: number; note: string | null }[]; removed_lines: unknown[] }[] = await inst.dataSource.query(
      `SELECT uscc, year, points, lines, removed_lines FROM ${S}.gradings WHERE uscc LIKE $1 ORDER BY uscc, year`,
      [`%${w}ORG%`],
    );
    const balances: { id: string; balance: string }[] = await inst.dataSource.query(`SELECT id, balance FROM ${S}.ledger_accounts WHERE id LIKE $1 ORDER BY id`, [`%${w}ORG%`]);
    return JSON.parse(neutral(JSON.stringify({ lines, gradings, balances })));
  };

  beforeAll(async () => {
    db = await createTestDatabase('so_member_batch');
    inst = await socialOrganisations.create({ databaseUrl: db.url, queue: { kind: 'postgres', url: db.url, schema: 'bullmq' }, clock: new FixedClock(new Date('2034-12-01T00:00:00Z')) });
    rt = inst.runtime as SocialOrganisationsRuntime;
    for (const w of ['ONE', 'BAT']) {
      await inst.dataSource.query(
        `INSERT INTO ${S}.organisations (uscc, name, kind, division_code) VALUES ($1, 'chamber', 'CHAMBER_OF_COMMERCE', '441900003'), ($2, 'association', 'INDUSTRY_ASSOCIATION', '441900003')`,
        [org(w, 1), org(w, 2)],
      );
      await inst.dataSource.query(
        `INSERT INTO ${S}.memberships (organisation_uscc, enterprise_uscc) SELECT o, e FROM unnest($1::text[]) o, unnest($2::text[]) e`,
        [[org(w, 1), org(w, 2)], [ent(w, 1), ent(w, 2)]],
      );
    }
  });
  afterAll(async () => {
    await inst.close();
    await db.drop();
  });

  it('ends with the lines, gradings and balances of the same events applied one by one, each event once', async () => {
    const handlers = enterpriseCreditHandlers(rt);
    const one = story('ONE');
    for (const e of one) expect(await applyOnce(inst.dataSource, S, CONSUMER, handlers[e.topic], e)).toBe('applied');

    const bat = story('BAT');
    const batch = (es: DomainEvent[]) => applyBatchOnce(inst.dataSource, S, CONSUMER, (m, claimed) => applyEnterpriseCreditEvents(rt, m, claimed), es);
    // two batches, the second repeating an event of the first
    expect(await batch(bat.slice(0, 5))).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    expect(await batch([bat[4], ...bat.slice(5)])).toEqual(['duplicate', 'applied', 'applied', 'applied', 'applied']);
    // delivered again, whole: nothing changes
    const before = await outcome('BAT');
    expect(await batch(bat)).toEqual(bat.map(() => 'duplicate'));
    expect(await outcome('BAT')).toEqual(before);

    const expected = await outcome('ONE');
    // the story leaves marks: a penalty per record and organisation, a lifted blacklisting, a standing one
    expect(expected.lines.filter((l: { effect: string }) => l.effect === 'MEMBER_PENALTY')).toHaveLength(6);
    expect(expected.lines.filter((l: { effect: string; removed: boolean }) => l.effect === 'MEMBER_BLACKLISTED' && l.removed)).toHaveLength(2);
    expect(expected.lines.filter((l: { effect: string; removed: boolean }) => l.effect === 'MEMBER_BLACKLISTED' && !l.removed)).toHaveLength(2);
    expect(expected.gradings.map((g: { year: number; points: string }) => [g.year, Number(g.points)])).toEqual([
      [2033, -5],
      [2034, -20],
      [2033, -5],
      [2034, -20],
    ]);
    expect(await outcome('BAT')).toEqual(expected);
    expect(await rt.ledger.checkInvariants(inst.dataSource.manager)).toEqual([]);
  });

  it('leaves no trace of a batch whose handler fails, so every event of it is retried', async () => {
    const w = 'BAT';
    const e: DomainEvent = {
      id: randomUUID(), topic: 'enterprise-credit.record.recorded', aggregateId: ent(w, 1), version: 1, schemaVersion: 1,
      payload: { recordId: `${w}-p9`, uscc: ent(w, 1), kind: 'PENALTY', occurredOn: '2034-08-01', publicUntil: null }, createdAt: '2034-08-01T00:00:00.000Z', source: 'enterprise_credit',
    };
    const bad: DomainEvent = { ...e, id: randomUUID(), payload: { uscc: ent(w, 2) } };
    await expect(applyBatchOnce(inst.dataSource, S, CONSUMER, (m, claimed) => applyEnterpriseCreditEvents(rt, m, claimed), [e, bad])).rejects.toBeDefined();
    const [{ n }] = await inst.dataSource.query(`SELECT count(*)::int AS n FROM ${S}.inbox WHERE event_id = ANY($1::uuid[])`, [[e.id, bad.id]]);
    expect(n).toBe(0);
    const [{ facts }] = await inst.dataSource.query(`SELECT count(*)::int AS facts FROM ${S}.credit_record_facts WHERE record_id = $1`, [`${w}-p9`]);
    expect(facts).toBe(0);
    expect(await applyBatchOnce(inst.dataSource, S, CONSUMER, (m, claimed) => applyEnterpriseCreditEvents(rt, m, claimed), [e])).toEqual(['applied']);
  });
});
