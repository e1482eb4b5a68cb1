import { hasRole, isCityWide, mustAuditRead, requireRoleIn, writeAudit, type Caller } from '@citypoints/auth';
import { byKeys, loader } from '@citypoints/federation';
import { badInput, checkIdempotencyKey, conflict, forbidden, isUuid, isWithinDivision, notFound, unauthenticated } from '@citypoints/kit';
import { SCHEMA, type Ctx, type VolunteeringRuntime } from '../runtime';
import { projectedResidents } from '../residents/resident.projection';
import { residentRef } from '../residents/resident.reference';
import { administratorAward, nextStarAt, starsFor, type AwardLine as Line } from '../scheme/scheme.rules';
import { schemeAt } from '../scheme/scheme.service';
import { pointsAccountId } from '../points/points.service';
import { publishConfirmedHours } from './hours.facts';
import type { HoursRecord, VolunteerProfile } from './volunteer.type';

/** Officials who look after residents of their own division. */
const DIVISION_OFFICIALS = ['TOWN_OFFICIAL', 'VILLAGE_REGISTRAR'] as const;

/** The resident themself, city-wide callers, and officials of the resident's division. */
export function maySee(caller: Caller, residentId: string, divisionCode: string | null): boolean {
  if (hasRole(caller, 'RESIDENT') && caller.sub === residentId) return true;
  if (isCityWide(caller)) return true;
  return hasRole(caller, ...DIVISION_OFFICIALS) && isWithinDivision(divisionCode, caller.division);
}

/**
 * Whether the caller may see some resident's volunteer data before anything is looked up: only
 * the resident themself, city-wide callers and officials with a division ever may, so everyone
 * else is refused without learning whether the resident is known.
 */
function mayAsk(caller: Caller, residentId: string): boolean {
  if (hasRole(caller, 'RESIDENT') && caller.sub === residentId) return true;
  return isCityWide(caller) || (hasRole(caller, ...DIVISION_OFFICIALS) && !!caller.division);
}

interface ProfileRow {
  id: string;
  division_code: string | null;
  registered: boolean;
  skills: string[] | null;
  hours: string;
  admin_hours: string;
  points: string;
}

/** Profiles of many residents in one query: registration, lifetime hours and unexpired points. */
async function loadProfiles(rt: VolunteeringRuntime, ids: readonly string[]): Promise<ProfileRow[]> {
  const valid = [...new Set(ids.filter(isUuid))];
  if (!valid.length) return [];
  return rt.ds.query(
    `SELECT k.id::text AS id, r.division_code, v.resident_id IS NOT NULL AS registered, v.skills,
            coalesce(h.hours, 0) AS hours, coalesce(h.admin_hours, 0) AS admin_hours, coalesce(p.points, 0) AS points
       FROM unnest($1::uuid[]) AS k(id)
       LEFT JOIN "${SCHEMA}".residents r ON r.id = k.id
       LEFT JOIN "${SCHEMA}".volunteers v ON v.resident_id = k.id
       LEFT JOIN (SELECT resident_id, sum(credited_hours) AS hours, sum(credited_hours) FILTER (WHERE source = 'ADMINISTRATOR') AS admin_hours
                    FROM "${SCHEMA}".service_hours WHERE resident_id = ANY($1::uuid[]) GROUP BY resident_id) h ON h.resident_id = k.id
       LEFT JOIN (SELECT account_id, sum(remaining) AS points FROM "${SCHEMA}".ledger_lots
                   WHERE account_id = ANY($2::text[]) AND remaining > 0 AND expires_at > $3 GROUP BY account_id) p ON p.account_id = 'vol:POINTS:' || k.id::text`,
    [valid, valid.map(pointsAccountId), rt.clock.now()],
  );
}

async function toProfiles(rt: VolunteeringRuntime, rows: ProfileRow[]): Promise<Map<string, VolunteerProfile>> {
  const scheme = await schemeAt(rt.ds, rt.clock.now());
  return new Map(
    rows.map((r) => {
      const hours = Number(r.hours);
      return [
        r.id,
        {
          residentId: r.id,
          resident: residentRef(r.id)!,
          registered: r.registered,
          skills: r.skills ?? [],
          hours,
          administratorHours: Number(r.admin_hours),
          points: Number(r.points),
          stars: starsFor(scheme.rules, hours),
          nextStarAt: nextStarAt(scheme.rules, hours),
          schemeVersion: scheme.version,
        },
      ];
    }),
  );
}

/** Batched for `Resident.volunteer`: one query per request, each profile authorised, one audit insert. */
export function profileLoader(ctx: Ctx) {
  const { rt } = ctx;
  return loader<string, VolunteerProfile | null>(ctx, 'volunteer-profile', async (ids) => {
    const caller = ctx.caller;
    if (!caller) throw unauthenticated();
    const rows = await loadProfiles(rt, ids);
    const profiles = await toProfiles(rt, rows);
    const found = byKeys(ids, rows, (r) => r.id);
    const seen: string[] = [];
    const out = found.map((r) => {
      if (!r) return null;
      if (!maySee(caller, r.id, r.division_code)) return forbidden(`the volunteer profile of ${r.id} is not the caller's to see`);
      seen.push(r.id);
      return profiles.get(r.id)!;
    });
    if (mustAuditRead(caller) && seen.length) {
      await writeAudit(rt.ds, SCHEMA, caller, { at: rt.clock.now(), action: 'read', subjectType: 'VolunteerProfile', subjectIds: seen, fields: ['hours', 'points', 'stars'] });
    }
    return out;
  });
}

/** One profile, for mutations that return the caller's own. */
export async function profileOf(rt: VolunteeringRuntime, residentId: string): Promise<VolunteerProfile> {
  const profiles = await toProfiles(rt, await loadProfiles(rt, [residentId]));
  const p = profiles.get(residentId);
  if (!p) throw notFound('resident', residentId);
  return p;
}

function validSkills(raw: string[] | null | undefined): string[] {
  const skills = [...new Set((raw ?? []).map((s) => s.trim()).filter(Boolean))];
  if (skills.length > 20 || skills.some((s) => s.length > 40)) throw badInput('at most 20 skills of up to 40 characters each', { field: 'skills' });
  return skills;
}

/** A resident registers themself; an official may register a resident of their division. */
export async function registerVolunteer(rt: VolunteeringRuntime, caller: Caller, residentId: string, rawSkills: string[] | null | undefined): Promise<VolunteerProfile> {
  const skills = validSkills(rawSkills);
  const resident = (await projectedResidents([residentId], rt.ds)).get(residentId);
  if (!resident) throw notFound('resident', residentId);
  const self = hasRole(caller, 'RESIDENT') && caller.sub === residentId;
  if (!self) requireRoleIn(caller, resident.divisionCode, 'TOWN_OFFICIAL', 'VILLAGE_REGISTRAR');
  await rt.ds.query(
    `INSERT INTO "${SCHEMA}".volunteers (resident_id, skills, registered_at) VALUES ($1, $2, $3)
     ON CONFLICT (resident_id) DO UPDATE SET skills = EXCLUDED.skills`,
    [residentId, skills, rt.clock.now()],
  );
  return profileOf(rt, residentId);
}

export async function isRegisteredVolunteer(m: { query: (q: string, p: unknown[]) => Promise<unknown[]> }, residentId: string): Promise<boolean> {
  return (await m.query(`SELECT 1 FROM "${SCHEMA}".volunteers WHERE resident_id = $1`, [residentId])).length > 0;
}

/** Hours an administrator enters (e.g. from paper records): they count for stars and earn no points. */
export async function recordAdministratorHours(rt: VolunteeringRuntime, caller: Caller, residentId: string, hours: number, note: string | null | undefined, key: string): Promise<VolunteerProfile> {
  if (!Number.isFinite(hours) || hours <= 0 || hours > 1000) throw badInput('hours must be more than 0 and at most 1000', { field: 'hours' });
  checkIdempotencyKey(key);
  if (note != null && note.length > 500) throw badInput('note has at most 500 characters', { field: 'note' });
  const resident = (await projectedResidents([residentId], rt.ds)).get(residentId);
  if (!resident) throw notFound('resident', residentId);
  requireRoleIn(caller, resident.divisionCode, 'TOWN_OFFICIAL');
  const now = rt.clock.now();
  const award = administratorAward(await schemeAt(rt.ds, now), hours);
  // keys are the caller's own: another official's key never returns their entry
  const scoped = `admin:${caller.sub}:${key}`;
  await rt.ds.transaction(async (m) => {
    const inserted = await m.query(
      `INSERT INTO "${SCHEMA}".service_hours (resident_id, source, idempotency_key, reported_hours, credited_hours, points, scheme_code, scheme_version, breakdown, entered_by, note, at)
       VALUES ($1, 'ADMINISTRATOR', $2, $3, $3, 0, $4, $5, $6::jsonb, $7, $8, $9) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
      [residentId, scoped, award.creditedHours, award.schemeCode, award.schemeVersion, JSON.stringify(award.lines), caller.sub, note ?? null, now],
    );
    if (inserted.length) {
      await publishConfirmedHours(m, { recordId: String(inserted[0].id), residentId, needId: null, hours: award.creditedHours, confirmedAt: now, enteredBy: 'ADMINISTRATOR' });
    } else {
      const first: { resident_id: string; credited_hours: string }[] = await m.query(`SELECT resident_id, credited_hours FROM "${SCHEMA}".service_hours WHERE idempotency_key = $1`, [scoped]);
      if (first[0].resident_id !== residentId || Number(first[0].credited_hours) !== award.creditedHours) {
        throw conflict(`idempotency key ${key} was already used for other hours`, { field: 'idempotencyKey' });
      }
    }
  });
  return profileOf(rt, residentId);
}

/**
 * A volunteer's hours records, newest first, for the resident themself, city-wide callers and
 * officials of their division; a department's read leaves an audit row (docs/domain/09-access.md).
 */
export async function readHours(rt: VolunteeringRuntime, caller: Caller, residentId: string, limit: number): Promise<HoursRecord[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw badInput('first must be between 1 and 500', { field: 'first' });
  if (!mayAsk(caller, residentId)) throw forbidden("the volunteer's hours are not the caller's to see");
  const resident = (await projectedResidents([residentId], rt.ds)).get(residentId);
  if (!resident) throw notFound('resident', residentId);
  if (!maySee(caller, residentId, resident.divisionCode)) throw forbidden("the volunteer's hours are not the caller's to see");
  const records = await hoursRecords(rt, residentId, limit);
  if (mustAuditRead(caller)) {
    await writeAudit(rt.ds, SCHEMA, caller, { at: rt.clock.now(), action: 'read', subjectType: 'VolunteerHours', subjectIds: [residentId], fields: ['hours', 'points', 'lines'] });
  }
  return records;
}

/** The hours records of one volunteer, newest first. */
async function hoursRecords(rt: VolunteeringRuntime, residentId: string, limit: number): Promise<HoursRecord[]> {
  const rows: { source: string; reported_hours: string; credited_hours: string; points: number; escrow_points: number; scheme_code: string; scheme_version: number; breakdown: Line[]; at: Date }[] =
    await rt.ds.query(
      `SELECT source, reported_hours, credited_hours, points, escrow_points, scheme_code, scheme_version, breakdown, at
         FROM "${SCHEMA}".service_hours WHERE resident_id = $1 ORDER BY at DESC, id DESC LIMIT $2`,
      [residentId, limit],
    );
  return rows.map((r) => ({
    source: r.source,
    reportedHours: Number(r.reported_hours),
    creditedHours: Number(r.credited_hours),
    points: r.points,
    escrowPoints: r.escrow_points,
    schemeCode: r.scheme_code,
    schemeVersion: r.scheme_version,
    lines: r.breakdown.map((l) => ({ label: l.label, value: l.value, note: l.note ?? null })),
    at: r.at,
  }));
}
