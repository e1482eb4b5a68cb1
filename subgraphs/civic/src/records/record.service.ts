import type { EntityManager } from 'typeorm';
import { hasRole, isCityAdmin, isCityWide, mustAuditRead, requireRole, requireRoleIn, writeAudit, type Caller, type Role } from '@citypoints/auth';
import { badInput, cityDate, cityMonth, conflict, DAY, forbidden, invalidState, isIsoDate, isUuid, isWithinDivision, notFound, offsetFromCursor, offsetPage, pageSize } from '@citypoints/kit';
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
import { lockCallerKey, validKey } from '../idempotency';

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
  rules_version: number | null;
  status: RecordStatus;
  occurred_on: string;
  evidence: string | null;
  registered_by: string;
  reviewed_by: string | null;
  publicised_by: string | null;
  approved_by: string | null;
  publicised_until: Date | null;
  publicity_paused_at: Date | null;
  publicity_remaining_ms: string | null;
}

const COLUMNS = `id, idempotency_key, resident_id, card_no, division_code, town_code, item_scope, item_code, passbook, points_requested,
  points_credited, breakdown, rules_version, status, to_char(occurred_on, 'YYYY-MM-DD') AS occurred_on, evidence, registered_by, reviewed_by,
  publicised_by, approved_by, publicised_until, publicity_paused_at, publicity_remaining_ms`;

type Step = 'REGISTER' | 'REVIEW' | 'PUBLICISE' | 'APPROVE';

/**
 * What a caller sees of a record: `FULL` for the resident, the officials of its division and the
 * city; `PUBLIC` for the other villagers once it went into publicity — the masked name (registry
 * masks it), the item and its points, and the window's state (docs/domain/04-civic-cards.md).
 */
type RecordView = 'FULL' | 'PUBLIC';

function toRecord(r: RecordRow, view: RecordView = 'FULL'): CivicRecord {
  const full = view === 'FULL';
  return Object.assign(new CivicRecord(), {
    id: r.id,
    resident: residentRef(r.resident_id),
    points: r.points_requested,
    creditedPoints: full ? r.points_credited : null,
    breakdown: full ? r.breakdown : null,
    rulesVersion: full ? r.rules_version : null,
    status: r.status,
    occurredOn: r.occurred_on,
    evidence: full ? r.evidence : null,
    registeredBy: full ? r.registered_by : null,
    reviewedBy: full ? r.reviewed_by : null,
    publicisedBy: full ? r.publicised_by : null,
    approvedBy: full ? r.approved_by : null,
    publicisedUntil: r.publicised_until,
    publicityPausedAt: r.publicity_paused_at,
    publicityRemainingSeconds: r.publicity_remaining_ms === null ? null : Math.ceil(Number(r.publicity_remaining_ms) / 1000),
    divisionCode: r.division_code,
    itemScope: r.item_scope,
    itemCode: r.item_code,
    residentId: r.resident_id,
    view,
  });
}

/** A record the village review rejected never went public: only its resident and the reviewers see it. */
const rejectedBeforePublicity = (r: Pick<RecordRow, 'status' | 'publicised_by'>) => r.status === RecordStatus.REJECTED && r.publicised_by === null;

const RECORD_OFFICIALS: readonly Role[] = Object.freeze(['TOWN_OFFICIAL', 'VILLAGE_REGISTRAR', 'VILLAGE_REVIEWER', 'PUBLICITY_CLERK', 'TOWN_REVIEWER']);
const REVIEWERS: readonly Role[] = Object.freeze(['VILLAGE_REVIEWER', 'TOWN_REVIEWER']);

/** True when the caller may see the records of this resident that were rejected before publicity. */
function seesRejected(caller: Caller, residentId: string, divisionCode: string): boolean {
  if (isCityAdmin(caller)) return true;
  if (hasRole(caller, 'RESIDENT') && caller.sub === residentId) return true;
  return hasRole(caller, ...REVIEWERS) && isWithinDivision(divisionCode, caller.division);
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

async function updateRow(m: EntityManager, id: string, set: string, params: unknown[]): Promise<RecordRow> {
  const rows: RecordRow[] = await m.query(`WITH u AS (UPDATE "${SCHEMA}".records SET ${set} WHERE id = $1 RETURNING *) SELECT ${COLUMNS} FROM u`, [id, ...params]);
  return rows[0];
}

/** An official's step: the official sees the whole record. */
const update = async (m: EntityManager, id: string, set: string, params: unknown[]): Promise<CivicRecord> => toRecord(await updateRow(m, id, set, params));

/** An official's step and the record's new state: one statement. */
async function stepAndUpdate(rt: CivicRuntime, m: EntityManager, id: string, step: Step, actor: string, decision: string, note: string | null | undefined, set: string, params: unknown[]): Promise<CivicRecord> {
  const n = params.length + 2;
  const rows: RecordRow[] = await m.query(
    `WITH s AS (
       INSERT INTO "${SCHEMA}".record_steps (record_id, step, actor, decision, note, at) VALUES ($1, $${n}, $${n + 1}, $${n + 2}, $${n + 3}, $${n + 4})
     ), u AS (UPDATE "${SCHEMA}".records SET ${set} WHERE id = $1 RETURNING *)
     SELECT ${COLUMNS} FROM u`,
    [id, ...params, step, actor, decision, note ?? null, rt.clock.now()],
  );
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
  const key = validKey(input.idempotencyKey);
  if (!isIsoDate(input.occurredOn)) throw badInput('occurredOn must be a date (YYYY-MM-DD)', { field: 'occurredOn' });
  if (input.occurredOn > cityDate(rt.clock.now())) throw badInput('occurredOn lies in the future', { field: 'occurredOn' });
  const evidence = validNote(input.evidence, 'evidence');
  return rt.ds.transaction(async (m) => {
    const resident = await projectedResident(m, input.residentId);
    if (!resident) throw notFound('resident', input.residentId);
    // a replay is authorised like a first request, before the key finds anything
    requireRoleIn(caller, resident.division_code, 'VILLAGE_REGISTRAR');
    await lockCallerKey(m, 'record', caller.sub, key);
    const existing: RecordRow[] = await m.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".records WHERE registered_by = $1 AND idempotency_key = $2`, [caller.sub, key]);
    if (existing.length) {
      const e = existing[0];
      if (e.resident_id !== resident.id || e.item_code !== input.itemCode || e.occurred_on !== input.occurredOn) {
        throw conflict('idempotencyKey was already used for a different record', { field: 'idempotencyKey' });
      }
      return toRecord(e);
    }
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
      return stepAndUpdate(rt, m, r.id, 'REVIEW', caller.sub, approve ? 'APPROVED' : 'REJECTED', n, `status = $2, reviewed_by = $3`, [approve ? RecordStatus.VILLAGE_REVIEWED : RecordStatus.REJECTED, caller.sub]);
    }
    if (r.status === RecordStatus.OBJECTED) {
      // approving the record dismisses the objections; refusing it upholds them
      await m.query(`UPDATE "${SCHEMA}".objections SET ruled_by = $2, upheld = $3, ruled_at = $4 WHERE record_id = $1 AND ruled_at IS NULL`, [r.id, caller.sub, !approve, rt.clock.now()]);
      await addStep(rt, m, r.id, 'REVIEW', caller.sub, approve ? 'OBJECTION_DISMISSED' : 'OBJECTION_UPHELD', n);
      if (!approve) return update(m, r.id, `status = 'REJECTED', publicity_paused_at = NULL, publicity_remaining_ms = NULL`, []);
      // dismissed: the days that were left when the objection came run again from now
      const until = new Date(rt.clock.now().getTime() + Number(r.publicity_remaining_ms ?? 0));
      return update(m, r.id, `status = 'PUBLICISED', publicised_until = $2, publicity_paused_at = NULL, publicity_remaining_ms = NULL`, [until]);
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
    if (r.status !== RecordStatus.VILLAGE_REVIEWED) {
      // the clerk is not told that the village review rejected it
      if (rejectedBeforePublicity(r)) throw invalidState('only a record the village reviewer passed can be publicised');
      throw invalidState(`a ${r.status} record cannot be publicised`, { status: r.status });
    }
    const { rules } = await currentRules(m, rt.clock);
    const days = await publicityDays(m, r.town_code, rules.publicityDays.default);
    const until = new Date(rt.clock.now().getTime() + days * DAY);
    return stepAndUpdate(rt, m, r.id, 'PUBLICISE', caller.sub, `PUBLICISED_${days}_DAYS`, null, `status = 'PUBLICISED', publicised_by = $2, publicised_until = $3`, [caller.sub, until]);
  });
}

export async function objectToRecord(rt: CivicRuntime, c: Caller | null, id: string, reason: string): Promise<CivicRecord> {
  const caller = requireRole(c, 'RESIDENT');
  const why = validNote(reason, 'reason', true);
  return rt.ds.transaction(async (m) => {
    const r = await lockRecord(m, id);
    const objector = await projectedResident(m, caller.sub);
    if (!objector || objector.division_code !== r.division_code) throw forbidden('only residents of the village may object');
    const now = rt.clock.now();
    if (r.status === RecordStatus.OBJECTED) {
      // the window is paused already; the reviewer rules on every objection at once
      await m.query(`INSERT INTO "${SCHEMA}".objections (record_id, resident_id, reason, raised_at) VALUES ($1, $2, $3, $4)`, [r.id, objector.id, why, now]);
      return toRecord(r, viewOf(caller, r));
    }
    if (r.status !== RecordStatus.PUBLICISED || !r.publicised_until || now >= r.publicised_until) throw invalidState('this record is not under publicity');
    await m.query(`INSERT INTO "${SCHEMA}".objections (record_id, resident_id, reason, raised_at) VALUES ($1, $2, $3, $4)`, [r.id, objector.id, why, now]);
    // the window's clock stops: what was left of it runs again after a dismissal
    const remaining = r.publicised_until.getTime() - now.getTime();
    const updated = await updateRow(m, r.id, `status = 'OBJECTED', publicity_paused_at = $2, publicity_remaining_ms = $3, publicised_until = NULL`, [now, remaining]);
    return toRecord(updated, viewOf(caller, updated));
  });
}

/** The view of a record a caller already allowed to act on it gets back. */
function viewOf(caller: Caller, r: RecordRow): RecordView {
  if (isCityAdmin(caller) || (hasRole(caller, 'RESIDENT') && caller.sub === r.resident_id)) return 'FULL';
  if (hasRole(caller, ...RECORD_OFFICIALS) && isWithinDivision(r.division_code, caller.division)) return 'FULL';
  return 'PUBLIC';
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
      return stepAndUpdate(rt, m, r.id, 'APPROVE', caller.sub, 'REJECTED', n, `status = 'REJECTED', approved_by = $2, approved_at = $3`, [caller.sub, now]);
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
    return stepAndUpdate(rt, m, r.id, 'APPROVE', caller.sub, 'APPROVED', n, `status = 'APPROVED', approved_by = $2, approved_at = $3, approved_month = $4, points_credited = $5, breakdown = $6::jsonb, rules_version = $7, ledger_transaction_id = $8`, [
      caller.sub, now, cityMonth(now), credit.points, JSON.stringify({ rulesVersion: version, lines: credit.lines }), version, transactionId,
    ]);
  });
}

/**
 * Officials see the records of their division; the resident their own; other villagers a record
 * that went into publicity, in its public view; a record rejected before publicity only its
 * resident and the reviewers. A department's read is audited when it is answered.
 */
export async function recordById(rt: CivicRuntime, c: Caller | null, id: string): Promise<CivicRecord | null> {
  const caller = requireRole(c, ...RECORD_OFFICIALS, 'RESIDENT');
  if (!isUuid(id)) return null;
  const rows: RecordRow[] = await rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".records WHERE id = $1`, [id]);
  if (!rows.length) return null;
  const r = rows[0];
  const view = await recordViewFor(rt, caller, r);
  if (!view) throw forbidden("this record is outside the caller's reach");
  if (mustAuditRead(caller)) await writeAudit(rt.ds, SCHEMA, caller, { at: rt.clock.now(), action: 'read', subjectType: 'CivicRecord', subjectIds: [r.id], fields: ['resident', 'item', 'evidence'] });
  return toRecord(r, view);
}

async function recordViewFor(rt: CivicRuntime, caller: Caller, r: RecordRow): Promise<RecordView | null> {
  if (rejectedBeforePublicity(r)) return seesRejected(caller, r.resident_id, r.division_code) ? 'FULL' : null;
  if (isCityWide(caller) || (hasRole(caller, ...RECORD_OFFICIALS) && isWithinDivision(r.division_code, caller.division))) return 'FULL';
  if (!hasRole(caller, 'RESIDENT')) return null;
  if (caller.sub === r.resident_id) return 'FULL';
  const me = await projectedResident(rt.ds.manager, caller.sub);
  return me && me.division_code === r.division_code && r.publicised_by !== null ? 'PUBLIC' : null;
}

export async function recordSteps(rt: CivicRuntime, recordId: string): Promise<RecordStep[]> {
  const rows: { step: string; actor: string; decision: string; note: string | null; at: Date }[] = await rt.ds.query(
    `SELECT step, actor, decision, note, at FROM "${SCHEMA}".record_steps WHERE record_id = $1 ORDER BY id`,
    [recordId],
  );
  return rows.map((s) => Object.assign(new RecordStep(), s));
}

/**
 * A card's records, newest first. The card was authorised when it was loaded; records rejected
 * before publicity are left out for a card reader who is neither the resident nor a reviewer.
 */
export async function recordsOfResident(rt: CivicRuntime, caller: Caller | null, card: { residentId: string; divisionCode: string }, first: number | null | undefined, after: string | null | undefined) {
  const size = pageSize(first);
  const offset = offsetFromCursor(after);
  const all = !!caller && seesRejected(caller, card.residentId, card.divisionCode);
  const where = `resident_id = $1${all ? '' : ` AND NOT (status = 'REJECTED' AND publicised_by IS NULL)`}`;
  const [rows, count] = await Promise.all([
    rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".records WHERE ${where} ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`, [card.residentId, size, offset]) as Promise<RecordRow[]>,
    rt.ds.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".records WHERE ${where}`, [card.residentId]) as Promise<{ n: number }[]>,
  ]);
  return offsetPage(rows.map((r) => toRecord(r)), offset, size, count[0].n);
}
