import type { EntityManager } from 'typeorm';
import { hasRole, requireRole, type Caller } from '@citypoints/auth';
import { badInput, checkIdempotencyKey, cityDate, conflict, forbidden, isIsoDate, isUuid, notFound, ownValue, parseUscc } from '@citypoints/kit';
import { loader } from '@citypoints/federation';
import { SCHEMA, type Ctx, type EnterpriseCreditRuntime } from '../runtime';
import { TOPICS } from '../events';
import { assertCanRead, assertMayRead } from '../enterprises/access';
import { enterpriseFactsLoader } from '../enterprises/enterprise.projection';
import { creditSchemeOn, kindRule, type CreditScheme, type PenaltyAreaName, type Status } from './credit.scheme';
import { checkRepair, publicUntilOf, repairableFromOf } from './credit.rules';
import { recomputeStatuses } from './credit.status';
import type { CreditCheck, CreditRecord, CreditRecordInput, EnterpriseCredit, RestrictedDomain } from './credit.type';

interface RecordRow {
  id: string;
  uscc: string;
  kind: string;
  category: string | null;
  area: string | null;
  repairable_from: string | null;
  department: string;
  occurred_on: string;
  public_until: string | null;
  note: string | null;
  scheme_version: number;
  repaired: boolean;
}

const COLUMNS = `id, uscc, kind, category, area, to_char(repairable_from, 'YYYY-MM-DD') AS repairable_from, department, to_char(occurred_on, 'YYYY-MM-DD') AS occurred_on,
  to_char(public_until, 'YYYY-MM-DD') AS public_until, note, scheme_version, repaired`;

const toRecord = (r: RecordRow): CreditRecord => ({
  id: r.id,
  uscc: r.uscc,
  kind: r.kind as CreditRecord['kind'],
  category: r.category,
  area: r.area as CreditRecord['area'],
  repairableFrom: r.repairable_from,
  department: r.department,
  occurredOn: r.occurred_on,
  publicUntil: r.public_until,
  repaired: r.repaired,
  note: r.note,
  schemeVersion: r.scheme_version,
});

const CATEGORY = /^[A-Z][A-Z_]{1,39}$/;
/** free-text categories of earlier feeds that name an area */
const AREA_OF_CATEGORY: Readonly<Record<string, PenaltyAreaName>> = Object.freeze({ WORK_SAFETY: 'WORK_SAFETY', FIRE: 'FIRE_SAFETY', FIRE_SAFETY: 'FIRE_SAFETY', SPECIAL_EQUIPMENT: 'SPECIAL_EQUIPMENT' });

function departmentOf(caller: Caller): string {
  if (caller.department) return caller.department;
  if (hasRole(caller, 'CITY_ADMIN')) return 'CITY';
  throw forbidden('a data feed records in the name of its department: the token has none');
}

/**
 * A data feed records only the kinds of its own department, as the scheme in force names them
 * (the court its listings, human resources wage-arrears blacklistings, tax its ratings, any
 * regulating department penalties); the city admin records any kind.
 */
export function assertRecords(scheme: CreditScheme, caller: Caller, department: string, kind: string): void {
  if (hasRole(caller, 'CITY_ADMIN')) return;
  const recorders = ownValue<string[] | undefined>(scheme.definition.recorders, kind) ?? [];
  if (!recorders.includes(department)) throw forbidden(`${kind} records come from ${recorders.join(', ') || 'no department'}, not from ${department}`);
}

/** A department's credit record; a retry by the same caller with the same key returns the first record. */
export async function recordCreditEvent(rt: EnterpriseCreditRuntime, caller: Caller, input: CreditRecordInput): Promise<CreditRecord> {
  requireRole(caller, 'DATA_FEED');
  const department = departmentOf(caller);
  assertRecords(await creditSchemeOn(rt.ds, cityDate(rt.clock.now())), caller, department, input.kind);
  const uscc = parseUscc(input.uscc);
  const key = checkIdempotencyKey((input.idempotencyKey ?? '').trim());
  if (!isIsoDate(input.occurredOn)) throw badInput('occurredOn must be a date', { field: 'occurredOn' });
  const at = rt.clock.now();
  if (input.occurredOn > cityDate(at)) throw badInput('occurredOn lies in the future', { field: 'occurredOn' });
  const category = input.category?.trim().toUpperCase() || null;
  if (category && !CATEGORY.test(category)) throw badInput('category is an upper-case code such as WORK_SAFETY', { field: 'category' });
  const note = input.note?.trim() || null;
  if (note && note.length > 2000) throw badInput('note must have at most 2000 characters', { field: 'note' });

  return rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`credit-record:${caller.sub}:${key}`]);
    const existing: RecordRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".credit_records WHERE recorded_by = $1 AND idempotency_key = $2`, [caller.sub, key]);
    if (existing.length) {
      const first = existing[0];
      if (first.uscc !== uscc || first.kind !== input.kind || first.occurred_on !== input.occurredOn) {
        throw conflict(`idempotency key ${key} names another record`, { field: 'idempotencyKey' });
      }
      return toRecord(first);
    }
    const scheme = await creditSchemeOn(m, input.occurredOn);
    const rule = kindRule(scheme, input.kind);
    // a kind with area minimums (a penalty) carries its area, GENERAL unless the feed says otherwise
    const given = input.area ?? (category ? ownValue(AREA_OF_CATEGORY, category) : undefined) ?? null;
    if (given && !rule.areaMinMonths) throw badInput(`a ${input.kind} record has no area; only penalties carry one`, { field: 'area' });
    const area = rule.areaMinMonths ? (given ?? 'GENERAL') : null;
    const publicUntil = publicUntilOf(rule, input.occurredOn, input.publicMonths, area);
    const repairableFrom = repairableFromOf(rule, input.occurredOn, area);
    const rows: RecordRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".credit_records (uscc, kind, category, area, repairable_from, department, occurred_on, public_until, note, scheme_version, idempotency_key, recorded_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${COLUMNS}`,
      [uscc, input.kind, category, area, repairableFrom, department, input.occurredOn, publicUntil, note, scheme.version, key, caller.sub, at],
    );
    const rec = toRecord(rows[0]);
    await rt.publisher.publish(m, {
      topic: TOPICS.recorded,
      aggregateId: uscc,
      payload: { recordId: rec.id, uscc, kind: rec.kind, occurredOn: rec.occurredOn, publicUntil: rec.publicUntil },
    });
    await recomputeStatuses(rt, m, [uscc], at);
    return rec;
  });
}

export interface RepairInput {
  recordId: string;
  approve: boolean;
  note?: string | null;
  wagesPaid?: boolean | null;
  pledgeSigned?: boolean | null;
}

/** Decides an application for credit repair; an approved record stops counting. */
export async function repairCreditRecord(rt: EnterpriseCreditRuntime, caller: Caller, input: RepairInput): Promise<CreditRecord> {
  requireRole(caller, 'DATA_FEED');
  if (!isUuid(input.recordId)) throw notFound('credit record', input.recordId);
  const note = input.note?.trim() || null;
  const at = rt.clock.now();
  return rt.ds.transaction(async (m) => {
    const rows: RecordRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".credit_records WHERE id = $1 FOR UPDATE`, [input.recordId]);
    if (!rows.length) throw notFound('credit record', input.recordId);
    const r = rows[0];
    if (!hasRole(caller, 'CITY_ADMIN') && caller.department !== r.department) throw forbidden('only the recording department decides on repair');
    const scheme = await creditSchemeOn(m, r.occurred_on);
    const rule = kindRule(scheme, r.kind as CreditRecord['kind']);
    checkRepair(rule, {
      kind: r.kind,
      negative: rule.negative,
      occurredOn: r.occurred_on,
      repairableFrom: r.repairable_from,
      publicUntil: r.public_until,
      repaired: r.repaired,
      today: cityDate(at),
      wagesPaid: !!input.wagesPaid,
      pledgeSigned: !!input.pledgeSigned,
    });
    if (!input.approve) {
      const rejected: RecordRow[] = await m.query(
        `WITH u AS (UPDATE "${SCHEMA}".credit_records SET repair_decision = 'REJECTED', repair_note = $2 WHERE id = $1 RETURNING *) SELECT ${COLUMNS} FROM u`,
        [r.id, note],
      );
      return toRecord(rejected[0]);
    }
    const updated: RecordRow[] = await m.query(
      `WITH u AS (UPDATE "${SCHEMA}".credit_records SET repaired = true, repaired_at = $2, repair_decision = 'APPROVED', repair_note = $3 WHERE id = $1 RETURNING *) SELECT ${COLUMNS} FROM u`,
      [r.id, at, note],
    );
    await rt.publisher.publish(m, { topic: TOPICS.repaired, aggregateId: r.uscc, payload: { recordId: r.id, uscc: r.uscc, kind: r.kind } });
    await recomputeStatuses(rt, m, [r.uscc], at);
    return toRecord(updated[0]);
  });
}

interface CreditState {
  uscc: string;
  status: Status;
  since: Date | null;
  records: CreditRecord[];
}

/** Status and records of many enterprises in two queries. */
async function loadCredit(rt: EnterpriseCreditRuntime, usccs: readonly string[]): Promise<CreditState[]> {
  const [statuses, records]: [{ uscc: string; status: Status; since: Date }[], RecordRow[]] = await Promise.all([
    rt.ds.query(`SELECT uscc, status, since FROM "${SCHEMA}".credit_status WHERE uscc = ANY($1)`, [usccs]),
    rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".credit_records WHERE uscc = ANY($1) ORDER BY occurred_on DESC, created_at DESC`, [usccs]),
  ]);
  const st = new Map(statuses.map((s) => [s.uscc, s]));
  return usccs.map((uscc) => ({
    uscc,
    status: st.get(uscc)?.status ?? 'NORMAL',
    since: st.get(uscc)?.since ?? null,
    records: records.filter((r) => r.uscc === uscc).map(toRecord),
  }));
}

function creditView(state: CreditState, scheme: CreditScheme): EnterpriseCredit {
  const measures = scheme.definition.measures[state.status] ?? { restrictions: [], incentives: [], notes: [] };
  return {
    status: state.status as EnterpriseCredit['status'],
    records: state.records,
    restrictions: measures.restrictions as RestrictedDomain[],
    incentives: measures.incentives,
    since: state.since,
  };
}

/** Enterprise.credit, batched: one query per table for every enterprise of the request. */
export function creditLoader(ctx: Ctx) {
  return loader<string, EnterpriseCredit>(ctx, 'credit', async (usccs) => {
    const facts = await enterpriseFactsLoader(ctx).loadMany(usccs);
    const scheme = await creditSchemeOn(ctx.rt.ds, cityDate(ctx.rt.clock.now()));
    const states = await loadCredit(ctx.rt, usccs);
    return states.map((s, i) => {
      try {
        const f = facts[i];
        assertCanRead(ctx.caller, f instanceof Error || !f ? null : f.divisionCode, 'credit');
        return creditView(s, scheme);
      } catch (e) {
        return e as Error;
      }
    });
  });
}

/** The reasons an enterprise stands where it does: the records that put it there. */
function reasonsFor(state: CreditState, scheme: CreditScheme, today: string): string[] {
  const st = scheme.definition.status;
  const active = state.records.filter((r) => !r.repaired && r.occurredOn <= today && (r.publicUntil == null || r.publicUntil > today));
  const line = (r: CreditRecord) => `${r.kind} recorded by ${r.department} on ${r.occurredOn}, public ${r.publicUntil ? `until ${r.publicUntil}` : 'until its removal'}`;
  switch (state.status) {
    case 'BLACK':
      return active.filter((r) => st.blackKinds.includes(r.kind)).map(line);
    case 'WATCH':
      return [...active.filter((r) => st.watchPenaltyKinds.includes(r.kind)).map(line), 'status WATCH: under closer supervision'];
    case 'RED':
      return active.filter((r) => st.redKinds.includes(r.kind)).map(line);
    default:
      return [];
  }
}

export async function creditCheck(ctx: Ctx, rawUscc: string, domain: RestrictedDomain): Promise<CreditCheck> {
  assertMayRead(ctx.caller, 'credit');
  const uscc = parseUscc(rawUscc);
  const facts = await enterpriseFactsLoader(ctx).load(uscc);
  // an office about to award a contract must not read "allowed" for a code nobody registered
  if (!facts) throw notFound('enterprise', uscc);
  assertCanRead(ctx.caller, facts.divisionCode, 'credit');
  const today = cityDate(ctx.rt.clock.now());
  const scheme = await creditSchemeOn(ctx.rt.ds, today);
  const [state] = await loadCredit(ctx.rt, [uscc]);
  const view = creditView(state, scheme);
  const allowed = !view.restrictions.includes(domain);
  const reasons = allowed ? [] : [`status ${state.status}: barred from ${domain}`, ...reasonsFor(state, scheme, today)];
  return { uscc, domain, allowed, status: view.status, reasons };
}

/** Nightly: records expire by date, so every status is looked at again. */
export async function recomputeAllStatuses(rt: EnterpriseCreditRuntime, m: EntityManager): Promise<number> {
  return (await recomputeStatuses(rt, m, null, rt.clock.now())).length;
}
