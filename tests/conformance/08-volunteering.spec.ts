/**
 * docs/domain/08-volunteering.md, "Points and hours": the time bank's rules are the scheme row the
 * volunteering migration seeds, read back from a migrated database and applied by the subgraph's
 * own award and star functions.
 */
import { createTestDatabase, openSubgraphDataSource, type TestDatabase } from '@citypoints/db';
import type { DataSource } from 'typeorm';
import { Init1764700000000 } from '../../subgraphs/volunteering/src/migrations/1764700000000-Init';
import { EventVersions1764900000000 } from '../../subgraphs/volunteering/src/migrations/1764900000000-EventVersions';
import { administratorAward, nextStarAt, parseRules, serviceAward, starsFor, type Scheme } from '../../subgraphs/volunteering/src/scheme/scheme.rules';

let db: TestDatabase;
let ds: DataSource;
let scheme: Scheme;

beforeAll(async () => {
  db = await createTestDatabase('conf_volunteering');
  ds = await openSubgraphDataSource({ url: db.url, schema: 'volunteering', entities: [], migrations: [Init1764700000000, EventVersions1764900000000] });
  await ds.runMigrations();
  const [row] = await ds.query(`SELECT code, version, effective_from, rules FROM volunteering.schemes ORDER BY effective_from DESC, version DESC LIMIT 1`);
  scheme = { code: row.code, version: row.version, effectiveFrom: row.effective_from, rules: parseRules(row.rules) };
});
afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

describe('§8 Points and hours', () => {
  it('10 points per confirmed hour', () => {
    expect(scheme.rules.pointsPerHour).toBe(10);
    expect(serviceAward(scheme, 1, 0).points).toBe(10);
    expect(serviceAward(scheme, 3.5, 0).points).toBe(35);
  });

  it('at most 8 hours credited per service', () => {
    expect(scheme.rules.maxCreditedHoursPerService).toBe(8);
    expect(serviceAward(scheme, 8, 0)).toMatchObject({ creditedHours: 8, points: 80 });
    expect(serviceAward(scheme, 12, 0)).toMatchObject({ reportedHours: 12, creditedHours: 8, points: 80 });
  });

  it('Hours an administrator enters count towards stars but earn no points', () => {
    expect(administratorAward(scheme, 20)).toMatchObject({ creditedHours: 20, points: 0 });
  });

  it('Stars come from lifetime confirmed hours: 100, 300, 600, 1,000 and 1,500 hours for one to five stars', () => {
    expect(scheme.rules.starThresholds).toEqual([100, 300, 600, 1000, 1500]);
    expect([0, 99, 100, 299, 300, 600, 999, 1000, 1499, 1500, 5000].map((h) => starsFor(scheme.rules, h))).toEqual([0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 5]);
    expect(nextStarAt(scheme.rules, 450)).toBe(600);
    expect(nextStarAt(scheme.rules, 1500)).toBeNull();
  });

  it('Points are valid for 3 years', () => {
    expect(scheme.rules.pointValidityMonths).toBe(36);
  });
});

describe('§8 Needs', () => {
  it('the requester confirms … or it is confirmed automatically after 72 hours', () => {
    expect(scheme.rules.autoConfirmHours).toBe(72);
  });

  it('a requester may attach points: the held escrow is paid to the volunteer on confirmation, on top of the service points', () => {
    expect(serviceAward(scheme, 2, 15)).toMatchObject({ points: 20, escrowPoints: 15 });
    expect(serviceAward(scheme, 2, 15).lines.at(-1)).toEqual({ label: 'total points', value: 35 });
  });
});
