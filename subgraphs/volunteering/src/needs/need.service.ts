import type { EntityManager } from 'typeorm';
import { hasRole, isCityWide, type Caller } from '@citypoints/auth';
import { badInput, checkIdempotencyKey, conflict, decodeCursor, divisionLevelOf, encodeCursor, forbidden, HOUR, invalidState, isUuid, isWithinDivision, notFound, pageSize } from '@citypoints/kit';
import { SCHEMA, type VolunteeringRuntime } from '../runtime';
import { projectedResidents } from '../residents/resident.projection';
import { divisionRef, residentRef } from '../residents/resident.reference';
import { serviceAward } from '../scheme/scheme.rules';
import { schemeAt } from '../scheme/scheme.service';
import { ensurePointsAccount, escrowAccountId, ISSUE_ACCOUNT, openEscrowAccount } from '../points/points.service';
import { isRegisteredVolunteer } from '../volunteers/volunteer.service';
import { publishConfirmedHours } from '../volunteers/hours.facts';
import { assertMove, NeedStatus } from './need.rules';
import { NeedCategory, VolunteerRole, type NeedAward, type NeedTransition, type PostNeedInput, type ServiceNeed, type ServiceNeedConnection } from './need.type';

export interface NeedRow {
  id: string;
  requester_id: string;
  idempotency_key: string;
  category: NeedCategory;
  title: string;
  description: string | null;
  division_code: string;
  window_start: Date;
  window_end: Date;
  status: NeedStatus;
  primary_id: string | null;
  backup_id: string | null;
  escrow_points: number;
  hours: string | null;
  rating: number | null;
  confirmed_by: string | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

const T = `"${SCHEMA}".needs`;
const MAX_WINDOW_MS = 14 * 24 * HOUR;
const MAX_ESCROW = 100_000;
const MAX_SERVICE_HOURS = 24;

export function toNeed(r: NeedRow): ServiceNeed {
  return {
    id: r.id,
    requesterId: r.requester_id,
    primaryId: r.primary_id,
    backupId: r.backup_id,
    divisionCode: r.division_code,
    requester: residentRef(r.requester_id)!,
    category: r.category,
    title: r.title,
    description: r.description,
    division: divisionRef(r.division_code),
    windowStart: r.window_start,
    windowEnd: r.window_end,
    status: r.status,
    primary: residentRef(r.primary_id),
    backup: residentRef(r.backup_id),
    hours: r.hours === null ? null : Number(r.hours),
    escrowPoints: r.escrow_points,
    rating: r.rating,
    confirmedBy: r.confirmed_by,
    createdAt: r.created_at,
    completedAt: r.completed_at,
  };
}

async function lockNeed(m: EntityManager, id: string): Promise<NeedRow> {
  const rows: NeedRow[] = isUuid(id) ? await m.query(`SELECT * FROM ${T} WHERE id = $1 FOR UPDATE`, [id]) : [];
  if (!rows.length) throw notFound('service need', id);
  return rows[0];
}

/** Writes the new state and its trail line together; every move goes through here. */
async function move(rt: VolunteeringRuntime, m: EntityManager, need: NeedRow, to: NeedStatus, set: Partial<NeedRow>, actor: string, note: string | null, action: string): Promise<NeedRow> {
  assertMove(need.status, to, action);
  const now = rt.clock.now();
  const next = { ...need, ...set, status: to };
  const rows: NeedRow[] = await m.query(
    // wrapped in a CTE so TypeORM returns plain rows (a bare UPDATE gives [rows, count])
    `WITH u AS (UPDATE ${T} SET status = $2, primary_id = $3, backup_id = $4, hours = $5, rating = $6, confirmed_by = $7, started_at = $8, completed_at = $9,
            closed_at = CASE WHEN $2 IN ('CONFIRMED','CANCELLED','EXPIRED') THEN $10::timestamptz ELSE closed_at END
      WHERE id = $1 RETURNING *) SELECT * FROM u`,
    [need.id, to, next.primary_id, next.backup_id, next.hours, next.rating, next.confirmed_by, next.started_at, next.completed_at, now],
  );
  await m.query(`INSERT INTO "${SCHEMA}".need_transitions (need_id, from_status, to_status, actor, note, at) VALUES ($1, $2, $3, $4, $5, $6)`, [
    need.id,
    need.status,
    to,
    actor,
    note,
    now,
  ]);
  return rows[0];
}

function residentOf(caller: Caller): string {
  if (!hasRole(caller, 'RESIDENT')) throw forbidden('only a resident acts on needs as requester or volunteer');
  return caller.sub;
}

function validPost(input: PostNeedInput, now: Date) {
  const title = (input.title ?? '').trim();
  if (title.length < 1 || title.length > 100) throw badInput('title must have 1 to 100 characters', { field: 'title' });
  const description = input.description?.trim() || null;
  if (description && description.length > 2000) throw badInput('description has at most 2000 characters', { field: 'description' });
  if (!Object.values(NeedCategory).includes(input.category)) throw badInput('unknown category', { field: 'category' });
  if (!divisionLevelOf(input.divisionCode ?? '')) throw badInput('divisionCode is not a division code', { field: 'divisionCode' });
  const start = input.windowStart;
  const end = input.windowEnd;
  if (!(start instanceof Date) || !(end instanceof Date) || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) throw badInput('the window needs a start and an end', { field: 'windowStart' });
  if (end <= start) throw badInput('the window must end after it starts', { field: 'windowEnd' });
  if (end.getTime() - start.getTime() > MAX_WINDOW_MS) throw badInput('a window spans at most 14 days', { field: 'windowEnd' });
  if (end <= now) throw badInput('the window has already ended', { field: 'windowEnd' });
  const escrow = input.escrowPoints ?? 0;
  if (!Number.isInteger(escrow) || escrow < 0 || escrow > MAX_ESCROW) throw badInput(`escrowPoints must be a whole number from 0 to ${MAX_ESCROW}`, { field: 'escrowPoints' });
  const key = input.idempotencyKey ?? '';
  checkIdempotencyKey(key);
  return { title, description, category: input.category, divisionCode: input.divisionCode, start, end, escrow, key };
}

/**
 * A resident orders a service in their own division (their village, its town or the city). The
 * points attached move from the requester to the need's escrow in the same transaction.
 */
export async function postNeed(rt: VolunteeringRuntime, caller: Caller, input: PostNeedInput): Promise<ServiceNeed> {
  const requester = residentOf(caller);
  const now = rt.clock.now();
  const v = validPost(input, now);
  return rt.ds.transaction(async (m) => {
    const me = (await projectedResidents([requester], m)).get(requester);
    if (!me?.divisionCode) throw forbidden('the caller is not a resident known to the volunteer service');
    if (!isWithinDivision(me.divisionCode, v.divisionCode)) throw forbidden("a need is posted in the requester's own village, town or city");
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vol-need:${requester}:${v.key}`]);
    const existing: NeedRow[] = await m.query(`SELECT * FROM ${T} WHERE requester_id = $1 AND idempotency_key = $2`, [requester, v.key]);
    if (existing.length) {
      const e = existing[0];
      const same = e.category === v.category && e.title === v.title && e.division_code === v.divisionCode && e.escrow_points === v.escrow && e.window_start.getTime() === v.start.getTime() && e.window_end.getTime() === v.end.getTime();
      if (!same) throw conflict(`idempotency key ${v.key} was already used for another need`, { field: 'idempotencyKey' });
      return toNeed(e);
    }
    const rows: NeedRow[] = await m.query(
      `INSERT INTO ${T} (requester_id, idempotency_key, category, title, description, division_code, window_start, window_end, status, escrow_points, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'OPEN', $9, $10) RETURNING *`,
      [requester, v.key, v.category, v.title, v.description, v.divisionCode, v.start, v.end, v.escrow, now],
    );
    const need = rows[0];
    await m.query(`INSERT INTO "${SCHEMA}".need_transitions (need_id, from_status, to_status, actor, note, at) VALUES ($1, NULL, 'OPEN', $2, NULL, $3)`, [need.id, requester, now]);
    if (v.escrow > 0) {
      const from = await ensurePointsAccount(rt, m, requester);
      const escrow = await openEscrowAccount(rt, m, need.id);
      await rt.ledger.post(m, {
        idempotencyKey: `need:${need.id}:escrow-hold`,
        kind: 'ESCROW_HOLD',
        metadata: { needId: need.id },
        entries: [
          { accountId: from, amount: -v.escrow },
          { accountId: escrow, amount: v.escrow },
        ],
      });
    }
    return toNeed(need);
  });
}

/** Escrowed points go back to the requester (cancellation or expiry), once. */
async function returnEscrow(rt: VolunteeringRuntime, m: EntityManager, need: NeedRow): Promise<void> {
  if (need.escrow_points <= 0) return;
  const to = await ensurePointsAccount(rt, m, need.requester_id);
  await rt.ledger.post(m, {
    idempotencyKey: `need:${need.id}:escrow-return`,
    kind: 'ESCROW_RETURN',
    metadata: { needId: need.id },
    // the returned points keep the expiry they had when the need held them
    keepExpiry: { from: `need:${need.id}:escrow-hold` },
    entries: [
      { accountId: escrowAccountId(need.id), amount: -need.escrow_points },
      { accountId: to, amount: need.escrow_points },
    ],
  });
}

export async function takeNeed(rt: VolunteeringRuntime, caller: Caller, needId: string, role: VolunteerRole): Promise<ServiceNeed> {
  const me = residentOf(caller);
  return rt.ds.transaction(async (m) => {
    const need = await lockNeed(m, needId);
    if (need.requester_id === me) throw forbidden('a requester cannot take their own need');
    if (!(await isRegisteredVolunteer(m, me))) throw forbidden('register as a volunteer before taking a need');
    if (need.primary_id === me || need.backup_id === me) throw conflict('the caller already holds a role on this need');
    if (role === VolunteerRole.PRIMARY) {
      if (need.status !== NeedStatus.OPEN) throw invalidState(`a need that is ${need.status} cannot be taken as primary`, { status: need.status });
      return toNeed(await move(rt, m, need, NeedStatus.TAKEN, { primary_id: me }, me, 'taken as primary', 'take as primary'));
    }
    if (need.status !== NeedStatus.TAKEN) throw invalidState(`a backup joins a need that has a primary and has not started; this one is ${need.status}`, { status: need.status });
    if (need.backup_id) throw conflict('the need has a backup volunteer already');
    return toNeed(await move(rt, m, need, NeedStatus.TAKEN, { backup_id: me }, me, 'taken as backup', 'take as backup'));
  });
}

/** A volunteer gives up their role; when the primary gives up, the backup becomes primary. */
export async function releaseNeed(rt: VolunteeringRuntime, caller: Caller, needId: string): Promise<ServiceNeed> {
  const me = residentOf(caller);
  return rt.ds.transaction(async (m) => {
    const need = await lockNeed(m, needId);
    if (need.primary_id !== me && need.backup_id !== me) throw forbidden('only a volunteer of this need may give it up');
    if (need.backup_id === me) return toNeed(await move(rt, m, need, NeedStatus.TAKEN, { backup_id: null }, me, 'backup gave up', 'release'));
    if (need.backup_id) {
      return toNeed(await move(rt, m, need, NeedStatus.TAKEN, { primary_id: need.backup_id, backup_id: null }, me, `primary gave up; backup ${need.backup_id} took over`, 'release'));
    }
    return toNeed(await move(rt, m, need, NeedStatus.OPEN, { primary_id: null }, me, 'primary gave up; no backup', 'release'));
  });
}

export async function startService(rt: VolunteeringRuntime, caller: Caller, needId: string): Promise<ServiceNeed> {
  const me = residentOf(caller);
  return rt.ds.transaction(async (m) => {
    const need = await lockNeed(m, needId);
    if (need.primary_id !== me) throw forbidden('only the primary volunteer starts the service');
    return toNeed(await move(rt, m, need, NeedStatus.IN_SERVICE, { started_at: rt.clock.now() }, me, null, 'start'));
  });
}

export async function completeService(rt: VolunteeringRuntime, caller: Caller, needId: string, hours: number): Promise<ServiceNeed> {
  const me = residentOf(caller);
  if (!Number.isFinite(hours) || hours <= 0 || hours > MAX_SERVICE_HOURS) throw badInput(`hours must be more than 0 and at most ${MAX_SERVICE_HOURS}`, { field: 'hours' });
  if (Math.abs(Math.round(hours * 100) - hours * 100) > 1e-6) throw badInput('hours are kept to two decimals', { field: 'hours' });
  return rt.ds.transaction(async (m) => {
    const need = await lockNeed(m, needId);
    if (need.primary_id !== me) throw forbidden('only the primary volunteer reports the hours');
    return toNeed(await move(rt, m, need, NeedStatus.COMPLETED, { hours: String(hours), completed_at: rt.clock.now() }, me, `${hours} hours reported`, 'complete'));
  });
}

/**
 * Confirmation pays the volunteer: credited hours and their points (scheme in force when the
 * service was completed) plus the escrow, in one ledger transaction keyed by the need, so however
 * often confirmation runs (requester, job, retries) it pays once.
 */
async function settle(rt: VolunteeringRuntime, m: EntityManager, need: NeedRow, actor: string, confirmedBy: 'REQUESTER' | 'AUTO', rating: number | null): Promise<NeedRow> {
  assertMove(need.status, NeedStatus.CONFIRMED, 'confirm');
  const volunteer = need.primary_id!;
  const scheme = await schemeAt(m, need.completed_at!);
  const award = serviceAward(scheme, Number(need.hours), need.escrow_points);
  const confirmed = await move(rt, m, need, NeedStatus.CONFIRMED, { rating, confirmed_by: confirmedBy }, actor, confirmedBy === 'AUTO' ? 'confirmed automatically' : `rated ${rating}`, 'confirm');
  const at = rt.clock.now();
  const [record]: { id: string }[] = await m.query(
    `INSERT INTO "${SCHEMA}".service_hours (resident_id, source, need_id, idempotency_key, reported_hours, credited_hours, points, escrow_points, scheme_code, scheme_version, breakdown, entered_by, at)
     VALUES ($1, 'SERVICE', $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12) RETURNING id::text AS id`,
    [volunteer, need.id, `need:${need.id}`, award.reportedHours, award.creditedHours, award.points, award.escrowPoints, award.schemeCode, award.schemeVersion, JSON.stringify(award.lines), actor, at],
  );
  await publishConfirmedHours(m, { recordId: record.id, residentId: volunteer, needId: need.id, hours: award.creditedHours, confirmedAt: at, enteredBy: 'SERVICE' });
  const account = await ensurePointsAccount(rt, m, volunteer);
  const entries = [{ accountId: account, amount: award.points + award.escrowPoints }];
  if (award.points > 0) entries.push({ accountId: ISSUE_ACCOUNT, amount: -award.points });
  if (award.escrowPoints > 0) entries.push({ accountId: escrowAccountId(need.id), amount: -award.escrowPoints });
  if (entries.length > 1) {
    await rt.ledger.post(m, { idempotencyKey: `need:${need.id}:award`, kind: 'SERVICE_AWARD', metadata: { needId: need.id, schemeVersion: award.schemeVersion }, entries });
  }
  return confirmed;
}

export async function confirmService(rt: VolunteeringRuntime, caller: Caller, needId: string, rating: number): Promise<ServiceNeed> {
  const me = residentOf(caller);
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw badInput('rating must be a whole number from 1 to 5', { field: 'rating' });
  return rt.ds.transaction(async (m) => {
    const need = await lockNeed(m, needId);
    if (need.requester_id !== me) throw forbidden('only the requester confirms the service');
    return toNeed(await settle(rt, m, need, me, 'REQUESTER', rating));
  });
}

export async function cancelNeed(rt: VolunteeringRuntime, caller: Caller, needId: string): Promise<ServiceNeed> {
  const me = residentOf(caller);
  return rt.ds.transaction(async (m) => {
    const need = await lockNeed(m, needId);
    if (need.requester_id !== me) throw forbidden('only the requester cancels a need');
    const cancelled = await move(rt, m, need, NeedStatus.CANCELLED, {}, me, null, 'cancel');
    await returnEscrow(rt, m, need);
    return toNeed(cancelled);
  });
}

/** Called after each committed batch of a job with the number of items done so far. */
export type JobProgress = (done: number) => Promise<unknown> | unknown;

/**
 * The needs a job acts on, a batch per transaction; rows another worker holds are skipped, and
 * each act re-checks the state it moves from, so a second run finds nothing left to do.
 */
async function eachDue(rt: VolunteeringRuntime, where: string, params: unknown[], act: (m: EntityManager, need: NeedRow) => Promise<void>, progress?: JobProgress, batch = 100): Promise<number> {
  let done = 0;
  for (;;) {
    const n = await rt.ds.transaction(async (m) => {
      const due: NeedRow[] = await m.query(`SELECT * FROM ${T} WHERE ${where} ORDER BY id LIMIT ${batch} FOR UPDATE SKIP LOCKED`, params);
      for (const need of due) await act(m, need);
      return due.length;
    });
    done += n;
    await progress?.(done);
    if (n < batch) return done;
  }
}

/** A primary who has not started by the window's start plus the grace period hands over to the backup. */
export async function promoteBackups(rt: VolunteeringRuntime, progress?: JobProgress): Promise<number> {
  const now = rt.clock.now();
  const { rules } = await schemeAt(rt.ds, now);
  const cutoff = new Date(now.getTime() - rules.backupGraceMinutes * 60_000);
  return eachDue(rt, `status = 'TAKEN' AND started_at IS NULL AND backup_id IS NOT NULL AND window_start <= $1`, [cutoff], async (m, need) => {
    await move(rt, m, need, NeedStatus.TAKEN, { primary_id: need.backup_id, backup_id: null }, 'system', `primary ${need.primary_id} had not started ${rules.backupGraceMinutes} minutes after the window opened; backup took over`, 'promote backup');
  }, progress);
}

/** A need nobody served by the end of its window expires and its escrow goes back. */
export async function expireNeeds(rt: VolunteeringRuntime, progress?: JobProgress): Promise<number> {
  return eachDue(rt, `status IN ('OPEN','TAKEN') AND window_end <= $1`, [rt.clock.now()], async (m, need) => {
    await move(rt, m, need, NeedStatus.EXPIRED, {}, 'system', need.status === NeedStatus.OPEN ? 'nobody took it' : 'the service never started', 'expire');
    await returnEscrow(rt, m, need);
  }, progress);
}

/** A completion the requester has not confirmed within the waiting period is confirmed, unrated. */
export async function autoConfirm(rt: VolunteeringRuntime, progress?: JobProgress): Promise<number> {
  const now = rt.clock.now();
  const { rules } = await schemeAt(rt.ds, now);
  const cutoff = new Date(now.getTime() - rules.autoConfirmHours * HOUR);
  return eachDue(rt, `status = 'COMPLETED' AND completed_at <= $1`, [cutoff], async (m, need) => {
    await settle(rt, m, need, 'system', 'AUTO', null);
  }, progress);
}

/** Browsing the menu: residents and city-wide callers anywhere, officials within their division. */
export async function serviceNeeds(
  rt: VolunteeringRuntime,
  caller: Caller,
  f: { divisionCode?: string | null; category?: NeedCategory | null; status?: NeedStatus | null; first?: number | null; after?: string | null; party?: string },
): Promise<ServiceNeedConnection> {
  const size = pageSize(f.first);
  let scope = f.divisionCode ?? null;
  if (scope !== null && !divisionLevelOf(scope)) throw badInput('divisionCode is not a division code', { field: 'divisionCode' });
  if (f.party === undefined && !hasRole(caller, 'RESIDENT') && !isCityWide(caller)) {
    if (!hasRole(caller, 'TOWN_OFFICIAL', 'VILLAGE_REGISTRAR') || !caller.division) throw forbidden('browsing needs is for residents and officials of a division');
    if (scope === null) scope = caller.division;
    if (!isWithinDivision(scope, caller.division)) throw forbidden("outside the caller's division");
  }
  const cursor = decodeCursor<[string, string]>(f.after);
  if (cursor !== null && (!Array.isArray(cursor) || typeof cursor[0] !== 'string' || !isUuid(cursor[1]))) throw badInput('after is not a cursor this API issued', { field: 'after' });
  const conds: string[] = [];
  const params: unknown[] = [];
  if (scope) conds.push(`division_code LIKE $${params.push(scope + '%')}`);
  if (f.category) conds.push(`category = $${params.push(f.category)}`);
  if (f.status) conds.push(`status = $${params.push(f.status)}`);
  if (f.party !== undefined) {
    const p = params.push(f.party);
    conds.push(`(requester_id = $${p}::uuid OR primary_id = $${p}::uuid OR backup_id = $${p}::uuid)`);
  }
  const where = conds.length ? conds.join(' AND ') : 'TRUE';
  const total: { n: string }[] = await rt.ds.query(`SELECT count(*) AS n FROM ${T} WHERE ${where}`, params);
  const pageParams = [...params];
  let pageWhere = where;
  if (cursor) pageWhere += ` AND (window_start, id) > ($${pageParams.push(cursor[0])}::timestamptz, $${pageParams.push(cursor[1])}::uuid)`;
  const rows: NeedRow[] = await rt.ds.query(`SELECT * FROM ${T} WHERE ${pageWhere} ORDER BY window_start, id LIMIT ${size + 1}`, pageParams);
  const nodes = rows.slice(0, size).map(toNeed);
  const last = rows.slice(0, size).at(-1);
  return {
    nodes,
    totalCount: Number(total[0].n),
    pageInfo: { hasNextPage: rows.length > size, endCursor: last ? encodeCursor([last.window_start.toISOString(), last.id]) : null },
  };
}

type BreakdownLine = { label: string; value: number; note?: string };

/** Awards of many needs in one query, aligned with the ids. */
export async function needAwards(rt: VolunteeringRuntime, needIds: readonly string[]): Promise<(NeedAward | null)[]> {
  const rows: { need_id: string; reported_hours: string; credited_hours: string; points: number; escrow_points: number; scheme_code: string; scheme_version: number; breakdown: BreakdownLine[] }[] =
    await rt.ds.query(
      `SELECT need_id, reported_hours, credited_hours, points, escrow_points, scheme_code, scheme_version, breakdown FROM "${SCHEMA}".service_hours WHERE need_id = ANY($1::uuid[])`,
      [needIds.filter(isUuid)],
    );
  const byNeed = new Map(rows.map((r) => [r.need_id, r]));
  return needIds.map((id) => {
    const r = byNeed.get(id);
    if (!r) return null;
    return {
      reportedHours: Number(r.reported_hours),
      creditedHours: Number(r.credited_hours),
      points: r.points,
      escrowPoints: r.escrow_points,
      schemeCode: r.scheme_code,
      schemeVersion: r.scheme_version,
      lines: r.breakdown.map((l) => ({ label: l.label, value: l.value, note: l.note ?? null })),
    };
  });
}

/** The trails of many needs in one query, aligned with the ids. */
export async function needTransitions(rt: VolunteeringRuntime, needIds: readonly string[]): Promise<NeedTransition[][]> {
  const rows: { need_id: string; from_status: NeedStatus | null; to_status: NeedStatus; actor: string; note: string | null; at: Date }[] = await rt.ds.query(
    `SELECT need_id, from_status, to_status, actor, note, at FROM "${SCHEMA}".need_transitions WHERE need_id = ANY($1::uuid[]) ORDER BY id`,
    [needIds.filter(isUuid)],
  );
  const byNeed = new Map<string, NeedTransition[]>();
  for (const r of rows) {
    const list = byNeed.get(r.need_id) ?? [];
    list.push({ from: r.from_status, to: r.to_status, actor: r.actor, note: r.note, at: r.at });
    byNeed.set(r.need_id, list);
  }
  return needIds.map((id) => byNeed.get(id) ?? []);
}

export async function needById(rt: VolunteeringRuntime, id: string): Promise<ServiceNeed | null> {
  const rows: NeedRow[] = isUuid(id) ? await rt.ds.query(`SELECT * FROM ${T} WHERE id = $1`, [id]) : [];
  return rows.length ? toNeed(rows[0]) : null;
}
