/**
 * docs/domain/05-enterprise-credit.md, rule by rule. The kinds, periods, minimums and status
 * thresholds are read from the credit scheme the enterprise-credit migrations seed; the status
 * rules run through the subgraph's own recomputation over records stored in a migrated database.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, openSubgraphDataSource, type TestDatabase } from '@citypoints/db';
import type { DataSource } from 'typeorm';
import { migrations } from '../../subgraphs/enterprise-credit/src/index';
import { creditSchemeOn, kindRule, type CreditKind, type CreditScheme } from '../../subgraphs/enterprise-credit/src/credit/credit.scheme';
import { checkRepair, publicUntilOf, repairableFromOf, type RepairRequest } from '../../subgraphs/enterprise-credit/src/credit/credit.rules';
import { recomputeStatuses } from '../../subgraphs/enterprise-credit/src/credit/credit.status';
import { creditPublisher } from '../../subgraphs/enterprise-credit/src/events';

const S = 'enterprise_credit';
const TODAY = '2026-06-15';
let db: TestDatabase;
let ds: DataSource;
let scheme: CreditScheme;

const rule = (k: CreditKind) => kindRule(scheme, k);
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? 'THROWN';
  }
  return undefined;
};
const repair = (k: CreditKind, occurredOn: string, area: string | null, o: Partial<RepairRequest> = {}) =>
  codeOf(() =>
    checkRepair(rule(k), {
      kind: k,
      negative: rule(k).negative,
      occurredOn,
      repairableFrom: repairableFromOf(rule(k), occurredOn, area),
      publicUntil: publicUntilOf(rule(k), occurredOn, null, area),
      repaired: false,
      today: TODAY,
      wagesPaid: false,
      pledgeSigned: false,
      ...o,
    }),
  );

let seq = 0;
const uscc = () => `91441900MA${String(Date.now() % 1e6).padStart(6, '0')}${String(seq++).padStart(2, '0')}`;
async function record(u: string, kind: CreditKind, occurredOn: string, o: { repaired?: boolean; area?: string } = {}) {
  const r = rule(kind);
  await ds.query(
    `INSERT INTO ${S}.credit_records (uscc, kind, department, occurred_on, public_until, scheme_version, idempotency_key, recorded_by, repaired, area, repairable_from)
     VALUES ($1,$2,'MARKET_REGULATION',$3,$4,$5,$6,'conformance',$7,$8,$9)`,
    [u, kind, occurredOn, publicUntilOf(r, occurredOn, null, o.area ?? null), scheme.version, randomUUID(), o.repaired ?? false, o.area ?? null, repairableFromOf(r, occurredOn, o.area ?? null)],
  );
}
async function risk(u: string, level: string) {
  await ds.query(`INSERT INTO ${S}.labour_risk_scores (uscc, period, scheme_version, score, level, level_rank, since, scored_at, reported_period) VALUES ($1,'2026-05',1,0,$2,1,now(),now(),'2026-05')`, [u, level]);
}
async function statusOf(u: string): Promise<string> {
  await ds.transaction((m) => recomputeStatuses({ publisher: creditPublisher() }, m, [u], new Date(`${TODAY}T04:00:00Z`), scheme));
  const [row] = await ds.query(`SELECT status FROM ${S}.credit_status WHERE uscc = $1`, [u]);
  return row?.status ?? 'NORMAL';
}

beforeAll(async () => {
  db = await createTestDatabase('conf_credit');
  ds = await openSubgraphDataSource({ url: db.url, schema: S, entities: [], migrations: migrations(randomBytes(32)) });
  await ds.runMigrations();
  scheme = await creditSchemeOn(ds, TODAY);
});
afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

describe('§5 Departments report credit records', () => {
  it('administrative penalties (ordinary or severe), court listings of dishonest debtors, wage-arrears blacklistings, A-grade taxpayer ratings and honours', () => {
    expect(Object.keys(scheme.definition.kinds).sort()).toEqual(['A_TAXPAYER', 'DISHONEST_DEBTOR', 'HONOUR', 'PENALTY', 'SEVERE_PENALTY', 'WAGE_ARREARS_BLACKLIST']);
    expect(scheme.code).toBe('DG-CREDIT');
  });
});

describe('§5 Publicity periods and repair', () => {
  it("A record's period starts on the day it occurred", () => {
    expect(publicUntilOf(rule('PENALTY'), '2026-02-10', 5, null)).toBe('2026-07-10');
  });

  it('defaults: an ordinary penalty 12 months, a severe penalty and a wage-arrears blacklisting 36 months, a dishonest-debtor listing until removal, an A-grade rating or honour 12 months', () => {
    expect(publicUntilOf(rule('PENALTY'), '2026-01-01', null, 'GENERAL')).toBe('2027-01-01');
    expect(publicUntilOf(rule('SEVERE_PENALTY'), '2026-01-01', null, 'GENERAL')).toBe('2029-01-01');
    expect(publicUntilOf(rule('WAGE_ARREARS_BLACKLIST'), '2026-01-01', null, null)).toBe('2029-01-01');
    expect(publicUntilOf(rule('DISHONEST_DEBTOR'), '2026-01-01', null, null)).toBeNull();
    expect(publicUntilOf(rule('A_TAXPAYER'), '2026-01-01', null, null)).toBe('2027-01-01');
    expect(publicUntilOf(rule('HONOUR'), '2026-01-01', null, null)).toBe('2027-01-01');
  });

  it("A period outside its kind's minimum and maximum is BAD_USER_INPUT", () => {
    expect(codeOf(() => publicUntilOf(rule('A_TAXPAYER'), '2026-01-01', 24, null))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => publicUntilOf(rule('WAGE_ARREARS_BLACKLIST'), '2026-01-01', 12, null))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => publicUntilOf(rule('DISHONEST_DEBTOR'), '2026-01-01', 12, null))).toBe('BAD_USER_INPUT');
  });

  it('Penalties are public for at least 3 months and at most 3 years', () => {
    for (const k of ['PENALTY', 'SEVERE_PENALTY'] as const) {
      expect(codeOf(() => publicUntilOf(rule(k), '2026-01-01', 2, 'GENERAL'))).toBe('BAD_USER_INPUT');
      expect(publicUntilOf(rule(k), '2026-01-01', 3, 'GENERAL')).toBe('2026-04-01');
      expect(publicUntilOf(rule(k), '2026-01-01', 36, 'GENERAL')).toBe('2029-01-01');
      expect(codeOf(() => publicUntilOf(rule(k), '2026-01-01', 37, 'GENERAL'))).toBe('BAD_USER_INPUT');
    }
  });

  it('in WORK_SAFETY, FIRE_SAFETY and SPECIAL_EQUIPMENT the minimum is one year, for publicity and for repair alike', () => {
    for (const area of ['WORK_SAFETY', 'FIRE_SAFETY', 'SPECIAL_EQUIPMENT']) {
      expect(codeOf(() => publicUntilOf(rule('PENALTY'), '2026-01-01', 11, area))).toBe('BAD_USER_INPUT');
      expect(publicUntilOf(rule('PENALTY'), '2026-01-01', 12, area)).toBe('2027-01-01');
      expect(repairableFromOf(rule('PENALTY'), '2026-01-01', area)).toBe('2027-01-01');
    }
    expect(repairableFromOf(rule('PENALTY'), '2026-01-01', 'GENERAL')).toBe('2026-04-01');
  });

  it('A wage-arrears blacklisting lasts 3 years; it can end early once the wages are paid, six months have passed and a good-faith pledge is signed', () => {
    expect(repairableFromOf(rule('WAGE_ARREARS_BLACKLIST'), '2026-01-01', null)).toBe('2026-07-01');
    expect(repair('WAGE_ARREARS_BLACKLIST', '2026-01-01', null, { wagesPaid: true, pledgeSigned: true })).toBe('INVALID_STATE');
    expect(repair('WAGE_ARREARS_BLACKLIST', '2025-12-01', null, { wagesPaid: true, pledgeSigned: false })).toBe('BAD_USER_INPUT');
    expect(repair('WAGE_ARREARS_BLACKLIST', '2025-12-01', null, { wagesPaid: false, pledgeSigned: true })).toBe('BAD_USER_INPUT');
    expect(repair('WAGE_ARREARS_BLACKLIST', '2025-12-01', null, { wagesPaid: true, pledgeSigned: true })).toBeUndefined();
  });

  it("Repair: once a negative record's minimum period has passed the enterprise may apply; deciding a repair before repairableFrom is INVALID_STATE", () => {
    // 5 months old: a GENERAL penalty is repairable, a WORK_SAFETY one not before a year
    expect(repair('PENALTY', '2026-01-15', 'GENERAL')).toBeUndefined();
    expect(repair('PENALTY', '2026-01-15', 'WORK_SAFETY')).toBe('INVALID_STATE');
    expect(repair('PENALTY', '2026-04-01', 'GENERAL')).toBe('INVALID_STATE');
    expect(repair('PENALTY', '2025-06-15', 'WORK_SAFETY')).toBeUndefined();
  });

  it('Every negative record shows repairableFrom (a positive one needs no repair)', () => {
    for (const k of ['PENALTY', 'SEVERE_PENALTY', 'DISHONEST_DEBTOR', 'WAGE_ARREARS_BLACKLIST'] as const) expect(repairableFromOf(rule(k), '2026-01-01', null)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const k of ['A_TAXPAYER', 'HONOUR'] as const) {
      expect(repairableFromOf(rule(k), '2026-01-01', null)).toBeNull();
      expect(repair(k, '2020-01-01', null)).toBe('INVALID_STATE');
    }
  });

  it("A DATA_FEED records only its own department's kinds: court listings from the court, blacklistings from human resources, tax ratings from tax, penalties from any regulator", () => {
    const rec = scheme.definition.recorders as Record<string, string[]>;
    expect(rec.DISHONEST_DEBTOR).toEqual(['COURT']);
    expect(rec.WAGE_ARREARS_BLACKLIST).toEqual(['HUMAN_RESOURCES']);
    expect(rec.A_TAXPAYER).toEqual(['TAXATION']);
    expect(rec.PENALTY).toEqual(expect.arrayContaining(['MARKET_REGULATION', 'EMERGENCY_MANAGEMENT', 'FIRE_RESCUE', 'TAXATION']));
    expect(rec.PENALTY).not.toContain('COURT');
  });
});

describe('§5 Status', () => {
  it('BLACK — an active wage-arrears blacklisting, dishonest-debtor listing or severe penalty', async () => {
    for (const k of ['WAGE_ARREARS_BLACKLIST', 'DISHONEST_DEBTOR', 'SEVERE_PENALTY'] as const) {
      const u = uscc();
      await record(u, k, '2026-03-01');
      expect([k, await statusOf(u)]).toEqual([k, 'BLACK']);
    }
    const repaired = uscc();
    await record(repaired, 'SEVERE_PENALTY', '2026-01-01', { repaired: true });
    expect(await statusOf(repaired)).toBe('NORMAL');
  });

  it('WATCH — labour risk DANGER or CRITICAL, or at least two active ordinary penalties', async () => {
    const one = uscc();
    await record(one, 'PENALTY', '2026-03-01');
    expect(await statusOf(one)).toBe('NORMAL');
    await record(one, 'PENALTY', '2026-04-01');
    expect(await statusOf(one)).toBe('WATCH');
    for (const level of ['DANGER', 'CRITICAL']) {
      const u = uscc();
      await risk(u, level);
      expect([level, await statusOf(u)]).toEqual([level, 'WATCH']);
    }
    const riskOnly = uscc();
    await risk(riskOnly, 'RISK');
    expect(await statusOf(riskOnly)).toBe('NORMAL');
  });

  it('RED — an A-grade rating or honour within 12 months, no active negative record within 3 years, and labour risk NORMAL or never scored', async () => {
    const red = uscc();
    await record(red, 'A_TAXPAYER', '2026-02-01');
    expect(await statusOf(red)).toBe('RED');
    const scoredNormal = uscc();
    await record(scoredNormal, 'HONOUR', '2026-02-01');
    await risk(scoredNormal, 'NORMAL');
    expect(await statusOf(scoredNormal)).toBe('RED');
    const stale = uscc();
    await record(stale, 'HONOUR', '2025-05-01');
    expect(await statusOf(stale)).toBe('NORMAL');
    const blemished = uscc();
    await record(blemished, 'HONOUR', '2026-02-01');
    await record(blemished, 'PENALTY', '2024-01-01');
    expect(await statusOf(blemished)).toBe('NORMAL');
    const problem = uscc();
    await record(problem, 'A_TAXPAYER', '2026-02-01');
    await risk(problem, 'PROBLEM');
    expect(await statusOf(problem)).toBe('NORMAL');
  });

  it('NORMAL — anything else', async () => {
    expect(await statusOf(uscc())).toBe('NORMAL');
  });
});

describe('§5 What a status means', () => {
  it('A BLACK enterprise is refused in government procurement, construction, bidding and healthcare markets and is listed as operating abnormally; a RED one gets priority handling, simpler procedures and a green channel', () => {
    const m = scheme.definition.measures as Record<string, { restrictions: string[]; incentives: string[]; notes: string[] }>;
    expect(m.BLACK.restrictions).toEqual(['GOVERNMENT_PROCUREMENT', 'CONSTRUCTION', 'BIDDING', 'HEALTHCARE']);
    expect(m.BLACK.notes).toContain('listed as operating abnormally');
    expect(m.RED.incentives).toEqual(['priority handling', 'simplified procedures', 'green channel']);
  });
});
