import type { EntityManager } from 'typeorm';
import { hasRole, isCityWide, mustAuditRead, requireRole, requireRoleIn, writeAudit, type Caller, type Role } from '@citypoints/auth';
import { badInput, cityDate, cityMonth, conflict, DAY, forbidden, invalidState, isIsoDate, isWithinDivision, notFound, offsetFromCursor, offsetPage, pageSize } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { CivicRuntime } from '../runtime';
import { ensureCards, issueAccount, openPassbook, passbookAccount } from '../cards/card.service';
import { PassbookKind } from '../cards/card.type';
import { itemForTown, publicityDays } from '../items/item.service';
import { projectedResident } from '../residents/projection';
import { residentRef } from '../residents/resident.type';
import { currentRules } from '../rules/rules.service';
import { creditFor } from './record.rules';
import { CivicRecord, RecordStatus, RecordStep, type RegisterCivicRecordInput } from './record.type';
import { isUuid } from '../ids';

interface RecordRow {
  id: string;
  idempotency_key: string;
  resident_id: string;
  card_no: string;
  division_code: string;
  town_code: string;
  item_scope: string;
  item_code: string;
  passbook: PassbookKind;
  points_requested: number;
  points_credited: number | null;
  breakdown: unknown;
  status: RecordStatus;
  occurred_on: string;
  evidence: string | null;
  registered_by: string;
  reviewed_by: string | null;
  publicised_by: string | null;
  approved_by: string | null;
  publicised_until: Date | null;
}

const COLUMNS = `id, idempotency_key, resident_id, card_no, division_code, town_code, item_scope, item_code, passbook, points_requested,
  points_credited, breakdown, status, to_char(occurred_on, 'YYYY-MM-DD') AS occurred_on, evidence, registered_by, reviewed_by,
  publicised_by, approved_by, publicised_until`;

type Step = 'REGISTER' | 'REVIEW' | 'PUBLICISE' | 'APPROVE';

function toRecord(r: RecordRow): CivicRecord {
  return Object.assign(new CivicRecord(), {
    id: r.id,
    resident: residentRef(r.resident_id),
    points: r.points_requested,
    creditedPoints: r.points_credited,
    breakdown: r.breakdown,
    status: r.status,
    occurredOn: r.occurred_on,
    evidence: r.evidence,
    registeredBy: r.registered_by,
    reviewedBy: r.reviewed_by,
    publicisedBy: r.publicised_by,
    approvedBy: r.approved_by,
    publicisedUntil: r.publicised_until,
    divisionCode: r.division_code,
    itemScope: r.item_scope,
    itemCode: r.item_code,
    residentId: r.resident_id,
  });
}


async function lockRecord(m: EntityManager, id: string): Promise<RecordRow> {
  const rows: RecordRow[] = isUuid(id) ? await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".records WHERE id = $1 FOR UPDATE`, [id]) : [];
  if (!rows.length) throw notFound('civic record', id);
  return rows[0];
}

/** No person performs two steps of one record; a reviewer ruling on an objection stays within the review step. */
async function requireFreshActor(m: EntityManager, recordId: string, actor: string, step: Step): Promise<void> {
  const rows: { step: string }[] = await m.query(`SELECT step FROM "${SCHEMA}".record_steps WHERE record_id = $1 AND actor = $2 AND step <> $3 LIMIT 1`, [recordId, actor, step]);
  if (rows.length) throw forbidden(`${actor} already performed the ${rows[0].step} step of this record; another person must do ${step}`);
}

async function addStep(rt: CivicRuntime, m: EntityManager, recordId: string, step: Step, actor: string, decision: string, note: string | null | undefined): Promise<void> {
  await m.query(`INSERT INTO "${SCHEMA}".record_steps (record_id, step, actor, decision, note, at) VALUES ($1, $2, $3, $4, $5, $6)`, [
    recordId, step, actor, decision, note ?? null, rt.clock.now(),
  ]);
}

async function update(m: EntityManager, id: string, set: string, params: unknown[]): Promise<CivicRecord> {
  const rows: RecordRow[] = await m.query(`WITH u AS (UPDATE "${SCHEMA}".records SET ${set} WHERE id = $1 RETURNING *) SELECT ${COLUMNS} FROM u`, [id, ...params]);
  return toRecord(rows[0]);
}

function validNote(note: string | null | undefined, field = 'note', required = false): string | null {
  const v = (note ?? '').trim();
  if (required && !v) throw badInput(`${field} is required`, { field });
  if (v.length > 1000) throw badInput(`${field} must have at most 1000 characters`, { field });
  return v || null;
}

export async function registerRecord(rt: CivicRuntime, c: Caller | null, input: RegisterCivicRecordInput): Promise<CivicRecord> {
  const caller = requireRole(c, 'VILLAGE_REGISTRAR');
  const key = (input.idempotencyKey ?? '').trim();
  if (key.length < 1 || key.length > 200) throw badInput('idempotencyKey must have 1 to 200 characters', { field: 'idempotencyKey' });
  if (!isIsoDate(input.occurredOn)) throw badInput('occurredOn must be a date (YYYY-MM-DD)', { field: 'occurredOn' });
  if (input.occurredOn > cityDate(rt.clock.now())) throw badInput('occurredOn lies in the future', { field: 'occurredOn' });
  const evidence = validNote(input.evidence, 'evidence');
  return rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`civic:record-key:${key}`]);
    const existing: RecordRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".records WHERE idempotency_key = $1`, [key]);
    if (existing.length) {
      const e = existing[0];
      if (e.resident_id !== input.residentId || e.item_code !== input.itemCode || e.occurred_on !== input.occurredOn) {
        throw conflict('idempotencyKey was already used for a different record', { field: 'idempotencyKey' });
      }
      return toRecord(e);
    }
    const resident = await projectedResident(m, input.residentId);
    if (!resident) throw notFound('resident', input.residentId);
    requireRoleIn(caller, resident.division_code, 'VILLAGE_REGISTRAR');
    const town = resident.division_code.slice(0, 9);
    const item = await itemForTown(m, town, input.itemCode);
    const cards = await ensureCards(rt, m, [resident.id], rt.clock.now());
    const card = cards.get(resident.id)!;
    if (item.passbook === PassbookKind.RED && !card.party_member) throw invalidState('the red passbook is for party members only');
    const rows: RecordRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".records (idempotency_key, resident_id, card_no, division_code, town_code, item_scope, item_code, item_version,
         passbook, points_requested, status, occurred_on, evidence, registered_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'REGISTERED', $11, $12, $13, $14) RETURNING ${COLUMNS}`,
      [key, resident.id, card.card_no, resident.division_code, town, item.scope, item.code, item.version, item.passbook, item.points, input.occurredOn, evidence, caller.sub, rt.clock.now()],
    );
    await addStep(rt, m, rows[0].id, 'REGISTER', caller.sub, 'REGISTERED', null);
    return toRecord(rows[0]);
  });
}

export async function reviewRecord(rt: CivicRuntime, c: Caller | null, id: string, approve: boolean, note: string | null | undefined): Promise<CivicRecord> {
  const caller = requireRole(c, 'VILLAGE_REVIEWER');
  const n = validNote(note);
  return rt.ds.transaction(async (m) => {
    const r = await lockRecord(m, id);
    requireRoleIn(caller, r.division_code, 'VILLAGE_REVIEWER');
    await requireFreshActor(m, r.id, caller.sub, 'REVIEW');
    if (r.status === RecordStatus.REGISTERED) {
      await addStep(rt, m, r.id, 'REVIEW', caller.sub, approve ? 'APPROVED' : 'REJECTED', n);
      return update(m, r.id, `status = $2, reviewed_by = $3`, [approve ? RecordStatus.VILLAGE_REVIEWED : RecordStatus.REJECTED, caller.sub]);
    }
    if (r.status === RecordStatus.OBJECTED) {
      // approving the record dismisses the objections; refusing it upholds them
      await m.query(`UPDATE "${SCHEMA}".objections SET ruled_by = $2, upheld = $3, ruled_at = $4 WHERE record_id = $1 AND ruled_at IS NULL`, [r.id, caller.sub, !approve, rt.clock.now()]);
      await addStep(rt, m, r.id, 'REVIEW', caller.sub, approve ? 'OBJECTION_DISMISSED' : 'OBJECTION_UPHELD', n);
      return update(m, r.id, `status = $2`, [approve ? RecordStatus.PUBLICISED : RecordStatus.REJECTED]);
    }
    throw invalidState(`a ${r.status} record cannot be reviewed`, { status: r.status });
  });
}

export async function publiciseRecord(rt: CivicRuntime, c: Caller | null, id: string): Promise<CivicRecord> {
  const caller = requireRole(c, 'PUBLICITY_CLERK');
  return rt.ds.transaction(async (m) => {
    const r = await lockRecord(m, id);
    requireRoleIn(caller, r.division_code, 'PUBLICITY_CLERK');
    await requireFreshActor(m, r.id, caller.sub, 'PUBLICISE');
    if (r.status !== RecordStatus.VILLAGE_REVIEWED) throw invalidState(`a ${r.status} record cannot be publicised`, { status: r.status });
    const { rules } = await currentRules(m, rt.clock);
    const days = await publicityDays(m, r.town_code, rules.publicityDays.default);
    const until = new Date(rt.clock.now().getTime() + days * DAY);
    await addStep(rt, m, r.id, 'PUBLICISE', caller.sub, `PUBLICISED_${days}_DAYS`, null);
    return update(m, r.id, `status = 'PUBLICISED', publicised_by = $2, publicised_until = $3`, [caller.sub, until]);
  });
}

export async function objectToRecord(rt: CivicRuntime, c: Caller | null, id: string, reason: string): Promise<CivicRecord> {
  const caller = requireRole(c, 'RESIDENT');
  const why = validNote(reason, 'reason', true);
  return rt.ds.transaction(async (m) => {
    const r = await lockRecord(m, id);
    const objector = await projectedResident(m, caller.sub);
    if (!objector || objector.division_code !== r.division_code) throw forbidden('only residents of the village may object');
    if (r.status !== RecordStatus.PUBLICISED && r.status !== RecordStatus.OBJECTED) throw invalidState(`a ${r.status} record is not under publicity`, { status: r.status });
    if (!r.publicised_until || rt.clock.now() >= r.publicised_until) throw invalidState('the publicity window has closed');
    await m.query(`INSERT INTO "${SCHEMA}".objections (record_id, resident_id, reason, raised_at) VALUES ($1, $2, $3, $4)`, [r.id, objector.id, why, rt.clock.now()]);
    return update(m, r.id, `status = 'OBJECTED'`, []);
  });
}

export async function approveRecord(rt: CivicRuntime, c: Caller | null, id: string, approve: boolean, note: string | null | undefined): Promise<CivicRecord> {
  const caller = requireRole(c, 'TOWN_REVIEWER');
  const n = validNote(note);
  return rt.ds.transaction(async (m) => {
    const r = await lockRecord(m, id);
    requireRoleIn(caller, r.division_code, 'TOWN_REVIEWER');
    await requireFreshActor(m, r.id, caller.sub, 'APPROVE');
    if (r.status === RecordStatus.OBJECTED) throw invalidState('an objection holds this record until a reviewer rules on it');
    if (r.status !== RecordStatus.PUBLICISED) throw invalidState(`a ${r.status} record cannot be approved`, { status: r.status });
    const now = rt.clock.now();
    if (!r.publicised_until || now < r.publicised_until) {
      throw invalidState(`the publicity window is open until ${r.publicised_until?.toISOString()}`, { publicisedUntil: r.publicised_until?.toISOString() });
    }
    if (!approve) {
      await addStep(rt, m, r.id, 'APPROVE', caller.sub, 'REJECTED', n);
      return update(m, r.id, `status = 'REJECTED', approved_by = $2, approved_at = $3`, [caller.sub, now]);
    }
    // one resident's approvals take turns here, so two of them cannot both use the month's last room under the cap
    await m.query(`SELECT 1 FROM "${SCHEMA}".cards WHERE card_no = $1 FOR UPDATE`, [r.card_no]);
    const item: { monthly_cap: number | null }[] = await m.query(`SELECT monthly_cap FROM "${SCHEMA}".behaviour_items WHERE scope = $1 AND code = $2`, [r.item_scope, r.item_code]);
    const used: { total: string | null }[] = await m.query(
      `SELECT sum(points_credited) AS total FROM "${SCHEMA}".records
        WHERE resident_id = $1 AND item_scope = $2 AND item_code = $3 AND status = 'APPROVED'
          AND date_trunc('month', occurred_on) = date_trunc('month', $4::date)`,
      [r.resident_id, r.item_scope, r.item_code, r.occurred_on],
    );
    const passbook = r.passbook;
    if (passbook === PassbookKind.RED) await openPassbook(rt, m, PassbookKind.RED, r.resident_id);
    const account = passbookAccount(passbook, r.resident_id);
    const floor = passbook === PassbookKind.RED ? null : await rt.ledger.balance(m, account);
    const { version } = await currentRules(m, rt.clock);
    const credit = creditFor({ requested: r.points_requested, monthlyCap: item[0].monthly_cap, creditedThisMonth: Number(used[0].total ?? 0), floorBalance: floor });
    let transactionId: string | null = null;
    if (credit.points !== 0) {
      const posted = await rt.ledger.post(m, {
        idempotencyKey: `civic:record:${r.id}`,
        kind: 'CIVIC_RECORD',
        memo: `${r.item_code} on ${r.occurred_on}`,
        metadata: { recordId: r.id, itemCode: r.item_code },
        entries: [
          { accountId: account, amount: credit.points },
          { accountId: issueAccount(passbook, r.resident_id), amount: -credit.points },
        ],
      });
      transactionId = posted.transactionId;
    }
    await addStep(rt, m, r.id, 'APPROVE', caller.sub, 'APPROVED', n);
    return update(m, r.id, `status = 'APPROVED', approved_by = $2, approved_at = $3, approved_month = $4, points_credited = $5, breakdown = $6::jsonb, rules_version = $7, ledger_transaction_id = $8`, [
      caller.sub, now, cityMonth(now), credit.points, JSON.stringify({ rulesVersion: version, lines: credit.lines }), version, transactionId,
    ]);
  });
}

const RECORD_OFFICIALS: readonly Role[] = Object.freeze(['TOWN_OFFICIAL', 'VILLAGE_REGISTRAR', 'VILLAGE_REVIEWER', 'PUBLICITY_CLERK', 'TOWN_REVIEWER']);

/** Residents see the records of their own village (they are publicised there); officials those of their division. */
export async function recordById(rt: CivicRuntime, c: Caller | null, id: string): Promise<CivicRecord | null> {
  if (!isUuid(id)) return null;
  const rows: RecordRow[] = await rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".records WHERE id = $1`, [id]);
  if (!rows.length) return null;
  const r = rows[0];
  const caller = requireRole(c, ...RECORD_OFFICIALS, 'RESIDENT');
  if (mustAuditRead(caller)) await writeAudit(rt.ds, SCHEMA, caller, { action: 'read', subjectType: 'CivicRecord', subjectIds: [r.id], fields: ['resident', 'item', 'evidence'] });
  if (isCityWide(caller) || (hasRole(caller, ...RECORD_OFFICIALS) && isWithinDivision(r.division_code, caller.division))) return toRecord(r);
  if (hasRole(caller, 'RESIDENT')) {
    if (caller.sub === r.resident_id) return toRecord(r);
    const me = await projectedResident(rt.ds.manager, caller.sub);
    if (me && me.division_code === r.division_code && r.status !== RecordStatus.REGISTERED && r.status !== RecordStatus.VILLAGE_REVIEWED) return toRecord(r);
  }
  throw forbidden('this record is outside the caller\'s reach');
}

export async function recordSteps(rt: CivicRuntime, recordId: string): Promise<RecordStep[]> {
  const rows: { step: string; actor: string; decision: string; note: string | null; at: Date }[] = await rt.ds.query(
    `SELECT step, actor, decision, note, at FROM "${SCHEMA}".record_steps WHERE record_id = $1 ORDER BY id`,
    [recordId],
  );
  return rows.map((s) => Object.assign(new RecordStep(), s));
}

/** A card's records, newest first. The card was authorised when it was loaded. */
export async function recordsOfResident(rt: CivicRuntime, residentId: string, first: number | null | undefined, after: string | null | undefined) {
  const size = pageSize(first);
  const offset = offsetFromCursor(after);
  const [rows, count] = await Promise.all([
    rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".records WHERE resident_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`, [residentId, size, offset]) as Promise<RecordRow[]>,
    rt.ds.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".records WHERE resident_id = $1`, [residentId]) as Promise<{ n: number }[]>,
  ]);
  return offsetPage(rows.map(toRecord), offset, size, count[0].n);
}

