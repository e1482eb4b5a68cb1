import type { EntityManager } from 'typeorm';
import { badInput, checkIdempotencyKey, conflict, parseUscc } from '@citypoints/kit';
import type { Caller } from '@citypoints/auth';
import { SCHEMA, type SocialOrganisationsRuntime } from '../runtime';
import { assertYear, schemeForYear } from '../scheme/scheme.service';
import { regrade, requireOrganisation, type StoredGrading } from '../grading/grading.service';
import { requireOrganisationManager } from '../organisations/access';
import type { OrganisationIndicatorInput, OrganisationViolationInput } from './indicator.type';

function parseKey(raw: string): string {
  const key = raw.trim();
  checkIdempotencyKey(key);
  return key;
}

function parseText(raw: string | null | undefined, field: string, max: number): string | null {
  const v = raw?.trim() || null;
  if (v && v.length > max) throw badInput(`${field} must have at most ${max} characters`, { field });
  return v;
}

/**
 * A retry with the same key by the same caller returns the first call's grading and changes
 * nothing (it is authorised again first, like the first request); the same key for other content
 * is a CONFLICT. Keys are the caller's own: another caller's key never returns their result.
 */
function replay(key: string, same: boolean, first: StoredGrading): StoredGrading {
  if (!same) throw conflict(`idempotency key ${key} was used for a different record`, { field: 'idempotencyKey' });
  return { ...first, gradedAt: new Date(first.gradedAt) };
}

/** Keeps the grading a record produced, for its retries. */
async function keepResult(m: EntityManager, table: 'indicator_records' | 'violations', id: string, grading: StoredGrading): Promise<StoredGrading> {
  await m.query(`UPDATE "${SCHEMA}".${table} SET result = $2::jsonb WHERE id = $1`, [id, JSON.stringify(grading)]);
  return grading;
}

export async function recordIndicator(rt: SocialOrganisationsRuntime, caller: Caller, input: OrganisationIndicatorInput): Promise<StoredGrading> {
  const uscc = parseUscc(input.uscc);
  assertYear(input.year);
  const points = input.points;
  if (!Number.isFinite(points) || points <= 0) throw badInput('points must be above 0', { field: 'points' });
  if (Math.abs(Math.round(points * 100) - points * 100) > 1e-6) throw badInput('points have at most two decimals', { field: 'points' });
  const key = parseKey(input.idempotencyKey);
  const evidence = parseText(input.evidence, 'evidence', 2000);
  return rt.ds.transaction(async (m) => {
    const scheme = await schemeForYear(m, input.year);
    const category = scheme.definition.categories.find((c) => c.code === input.category);
    if (!category) throw badInput(`category ${input.category} is not part of scheme ${scheme.code} v${scheme.version}`, { field: 'category' });
    // several records may together pass the cap (the grading caps them); one record alone may not
    if (points > category.cap) throw badInput(`one ${input.category} record gives at most ${category.cap} points`, { field: 'points' });
    const org = await requireOrganisation(m, uscc);
    requireOrganisationManager(caller, org.divisionCode);
    const inserted: { id: string }[] = await m.query(
      `INSERT INTO "${SCHEMA}".indicator_records (uscc, year, category, points, evidence, idempotency_key, entered_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (entered_by, idempotency_key) DO NOTHING RETURNING id`,
      [uscc, input.year, input.category, points, evidence, key, caller.sub],
    );
    if (!inserted.length) {
      const [first]: { uscc: string; year: number; category: string; points: string; result: StoredGrading }[] = await m.query(
        `SELECT uscc, year, category, points, result FROM "${SCHEMA}".indicator_records WHERE entered_by = $1 AND idempotency_key = $2`,
        [caller.sub, key],
      );
      return replay(key, first.uscc === uscc && first.year === input.year && first.category === input.category && Number(first.points) === points, first.result);
    }
    return keepResult(m, 'indicator_records', inserted[0].id, await regrade(rt, m, uscc, input.year, `indicator:${inserted[0].id}`));
  });
}

export async function recordViolation(rt: SocialOrganisationsRuntime, caller: Caller, input: OrganisationViolationInput): Promise<StoredGrading> {
  const uscc = parseUscc(input.uscc);
  assertYear(input.year);
  const key = parseKey(input.idempotencyKey);
  const note = parseText(input.note, 'note', 1000);
  if (!Number.isInteger(input.severity)) throw badInput('severity must be a whole number', { field: 'severity' });
  return rt.ds.transaction(async (m) => {
    const { definition } = await schemeForYear(m, input.year);
    const { minSeverity, maxSeverity } = definition.violation;
    if (input.severity < minSeverity || input.severity > maxSeverity) {
      throw badInput(`severity must be from ${minSeverity} to ${maxSeverity}`, { field: 'severity' });
    }
    const org = await requireOrganisation(m, uscc);
    requireOrganisationManager(caller, org.divisionCode);
    const inserted: { id: string }[] = await m.query(
      `INSERT INTO "${SCHEMA}".violations (uscc, year, severity, note, idempotency_key, entered_by)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (entered_by, idempotency_key) DO NOTHING RETURNING id`,
      [uscc, input.year, input.severity, note, key, caller.sub],
    );
    if (!inserted.length) {
      const [first]: { uscc: string; year: number; severity: number; result: StoredGrading }[] = await m.query(
        `SELECT uscc, year, severity, result FROM "${SCHEMA}".violations WHERE entered_by = $1 AND idempotency_key = $2`,
        [caller.sub, key],
      );
      return replay(key, first.uscc === uscc && first.year === input.year && first.severity === input.severity, first.result);
    }
    return keepResult(m, 'violations', inserted[0].id, await regrade(rt, m, uscc, input.year, `violation:${inserted[0].id}`));
  });
}
