/**
 * A list of residents resolved across subgraphs: the gateway hands each subgraph one `_entities`
 * call with every resident, and each subgraph answers it with a fixed number of SQL statements
 * (one per entity type, one audit INSERT per type) whatever the number of residents. Counted with
 * a hook on each data source's query logger (every statement, transactions included), not timed.
 */
import { signForwardedCaller, CALLER_HEADER, type Caller } from '@citypoints/auth';
import { civic } from '@citypoints/civic';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { volunteering } from '@citypoints/volunteering';
import { eventually, ok, seed, startCity, TEST_SUBGRAPH_SECRET, type TestCity } from '@citypoints/test-city';

jest.setTimeout(240_000);

const ANALYST: Caller = { sub: 'analyst-batch', roles: ['DEPARTMENT_ANALYST'], department: 'civil-affairs', purpose: 'resident list' };

const SELECTIONS: Record<string, string> = {
  settlement: 'settlement { schoolApplications { applicationNo status rank } talentCard { cardNo } householdApplications { applicationNo } }',
  civic: 'civicCard { cardNo balance passbooks { kind balance } }',
  volunteering: 'volunteer { registered hours stars points }',
};

/**
 * Statements of the test process's background work (relays, consumers, schedulers), not the
 * request's; transaction control is left out too (background transactions interleave with it).
 */
const BACKGROUND = /outbox|inbox|pg_notify|LISTEN|pg_try_advisory|schedul|_jobs|consumer|^\s*(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SET LOCAL synchronous_commit)/i;

describe('resident lists resolve in a fixed number of statements per subgraph', () => {
  let city: TestCity;
  let ids: string[];
  const volunteers: string[] = [];

  beforeAll(async () => {
    city = await startCity({ modules: [registry, settlement, civic, volunteering], workers: true, label: 'residents_batch' });
    const s = seed(city);
    ids = [];
    for (let i = 0; i < 50; i++) ids.push((await s.resident({ hukou: i % 2 ? 'LOCAL' : 'MIGRANT' })).id);
    for (const name of ['settlement', 'civic', 'volunteering']) {
      await eventually(async () => {
        const [{ n }] = await city.instances[name].dataSource.query(`SELECT count(*)::int AS n FROM "${name}".residents WHERE id = ANY($1::uuid[])`, [ids]);
        return n === ids.length;
      }, 60_000);
    }
    // a few volunteers among them, so profiles are read (and audited) too
    for (const id of ids.filter((_, i) => i % 7 === 0)) {
      const token = await city.token('RESIDENT', { sub: id });
      ok(await city.query(`mutation($id: ID!) { registerVolunteer(residentId: $id) { registered } }`, { id }, token));
      volunteers.push(id);
    }
  });

  afterAll(() => city?.close());

  /** One `_entities` call for these residents straight to the subgraph; the statements it issued and its answer. */
  async function entities(subgraph: string, keys: string[]): Promise<{ statements: string[]; body: any }> {
    const ds = city.instances[subgraph].dataSource;
    const statements: string[] = [];
    const logger = ds.logger;
    const logQuery = logger.logQuery.bind(logger);
    logger.logQuery = (q, p, r) => {
      if (!BACKGROUND.test(q)) statements.push(q);
      return logQuery(q, p, r);
    };
    try {
      const res = await fetch(city.servers[subgraph].url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CALLER_HEADER]: await signForwardedCaller(TEST_SUBGRAPH_SECRET, ANALYST) },
        body: JSON.stringify({
          query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Resident { id ${SELECTIONS[subgraph]} } } }`,
          variables: { r: keys.map((id) => ({ __typename: 'Resident', id })) },
        }),
      });
      const body = await res.json();
      expect(body.errors).toBeUndefined();
      expect(body.data._entities.map((e: { id: string }) => e.id)).toEqual(keys);
      return { statements, body };
    } finally {
      logger.logQuery = logQuery;
    }
  }

  const auditRows = async (subgraph: string) =>
    (await city.instances[subgraph].dataSource.query(`SELECT count(*)::int AS n FROM "${subgraph}".audit_log WHERE actor = $1`, [ANALYST.sub]))[0].n as number;
  const audits = (statements: string[]) => statements.filter((q) => /INSERT INTO "[a-z_]+"\."audit_log"/.test(q)).length;

  it('settlement: applications, talent cards and household applications of 50 residents in as many statements as of 5', async () => {
    const five = await entities('settlement', ids.slice(0, 5));
    const fifty = await entities('settlement', ids);
    expect(fifty.statements.length).toBe(five.statements.length);
    expect(fifty.statements.length).toBeLessThanOrEqual(4);
    expect(fifty.body.data._entities.every((e: any) => e.settlement && Array.isArray(e.settlement.schoolApplications) && e.settlement.talentCard === null)).toBe(true);
  });

  it('civic: cards issued on first read, then read, in as many statements for 50 residents as for 5; one audit INSERT of every card read', async () => {
    const before = await auditRows('civic');
    // first read of five: their cards are issued (both passbooks of each opened in one statement)
    const five = await entities('civic', ids.slice(0, 5));
    // first read of the other 45 among the fifty: issued the same way
    const fifty = await entities('civic', ids);
    expect(fifty.statements.length).toBe(five.statements.length);
    expect(fifty.statements.length).toBeLessThanOrEqual(10);
    expect(audits(fifty.statements)).toBe(1);
    expect(await auditRows('civic')).toBe(before + 5 + 50);
    const cards = fifty.body.data._entities.map((e: any) => e.civicCard);
    expect(cards.every((c: any) => c && c.balance === 0 && c.passbooks.map((p: any) => p.kind).sort().join() === 'CIVIC,GREEN')).toBe(true);
    // read again: every card exists, so no issuing and no transaction: residents with their cards, passbooks, audit
    const again = await entities('civic', ids);
    expect(again.statements.length).toBeLessThanOrEqual(3);
    expect(again.body.data._entities.map((e: any) => e.civicCard.cardNo)).toEqual(cards.map((c: any) => c.cardNo));
    expect(await auditRows('civic')).toBe(before + 5 + 50 + 50);
  });

  it('volunteering: profiles of 50 residents in as many statements as of 5; one audit INSERT of every profile read', async () => {
    const before = await auditRows('volunteering');
    const five = await entities('volunteering', ids.slice(0, 5));
    const fifty = await entities('volunteering', ids);
    expect(fifty.statements.length).toBe(five.statements.length);
    expect(fifty.statements.length).toBeLessThanOrEqual(3);
    expect(audits(fifty.statements)).toBe(1);
    const registered = fifty.body.data._entities.filter((e: any) => e.volunteer.registered).map((e: any) => e.id);
    expect(registered.sort()).toEqual([...volunteers].sort());
    // every resident's profile read is audited (one row each), in one INSERT per request
    expect(await auditRows('volunteering')).toBe(before + 5 + 50);
  });
});
