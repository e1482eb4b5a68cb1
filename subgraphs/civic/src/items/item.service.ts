import type { EntityManager } from 'typeorm';
import { isCityAdmin, requireRoleIn, type Caller } from '@citypoints/auth';
import { badInput, divisionLevelOf, forbidden, notFound, ownValue } from '@citypoints/kit';
import { CITY_CODE, SCHEMA } from '../context';
import type { CivicRuntime } from '../runtime';
import { currentRules } from '../rules/rules.service';
import { PassbookKind } from '../cards/card.type';
import { BehaviourItem, DefineBehaviourItemInput } from './item.type';

interface ItemRow {
  scope: string;
  code: string;
  label: string;
  category: string;
  passbook: PassbookKind;
  points: number;
  monthly_cap: number | null;
  version: number;
}

const COLUMNS = 'scope, code, label, category, passbook, points, monthly_cap, version';

export function toItem(r: ItemRow): BehaviourItem {
  return Object.assign(new BehaviourItem(), {
    code: r.code,
    label: r.label,
    category: r.category,
    points: r.points,
    monthlyCap: r.monthly_cap,
    divisionCode: r.scope === CITY_CODE ? null : r.scope,
    passbook: r.passbook,
    version: r.version,
    scope: r.scope,
  });
}

/** A town's list: its own items, plus city-wide ones whose code the town did not define itself. */
export async function listItems(rt: CivicRuntime, divisionCode: string | null | undefined): Promise<BehaviourItem[]> {
  if (divisionCode == null) {
    const rows: ItemRow[] = await rt.ds.query(`SELECT ${COLUMNS} FROM "${SCHEMA}".behaviour_items WHERE scope = $1 ORDER BY code`, [CITY_CODE]);
    return rows.map(toItem);
  }
  if (!divisionLevelOf(divisionCode)) throw badInput('divisionCode is not a division code', { field: 'divisionCode' });
  const town = divisionCode.length >= 9 ? divisionCode.slice(0, 9) : CITY_CODE;
  const rows: ItemRow[] = await rt.ds.query(
    `SELECT DISTINCT ON (code) ${COLUMNS} FROM "${SCHEMA}".behaviour_items WHERE scope IN ($1, $2) ORDER BY code, length(scope) DESC`,
    [town, CITY_CODE],
  );
  return rows.map(toItem);
}

/** The item a record of a resident of this town refers to: the town's own first, then the city's. */
export async function itemForTown(m: Pick<EntityManager, 'query'>, townCode: string, code: string): Promise<ItemRow> {
  const rows: ItemRow[] = await m.query(
    `SELECT ${COLUMNS} FROM "${SCHEMA}".behaviour_items WHERE code = $1 AND scope IN ($2, $3) ORDER BY length(scope) DESC LIMIT 1`,
    [code, townCode, CITY_CODE],
  );
  if (!rows.length) throw notFound('behaviour item', code);
  return rows[0];
}

export async function itemsByKey(m: Pick<EntityManager, 'query'>, keys: readonly { scope: string; code: string }[]): Promise<Map<string, BehaviourItem>> {
  if (!keys.length) return new Map();
  const rows: ItemRow[] = await m.query(
    `SELECT ${COLUMNS} FROM "${SCHEMA}".behaviour_items i JOIN unnest($1::text[], $2::text[]) AS k(scope, code) USING (scope, code)`,
    [keys.map((k) => k.scope), keys.map((k) => k.code)],
  );
  return new Map(rows.map((r) => [`${r.scope}/${r.code}`, toItem(r)]));
}

export async function defineItem(rt: CivicRuntime, caller: Caller, input: DefineBehaviourItemInput): Promise<BehaviourItem> {
  const scope = input.divisionCode ?? CITY_CODE;
  if (scope !== CITY_CODE && divisionLevelOf(scope) !== 'TOWN') throw badInput('items belong to a town (9-digit code) or to the whole city', { field: 'divisionCode' });
  if (scope === CITY_CODE && !isCityAdmin(caller)) throw forbidden('city-wide items are defined by the city');
  requireRoleIn(caller, scope, 'TOWN_OFFICIAL');
  const code = (input.code ?? '').trim().toUpperCase();
  if (!/^[A-Z0-9_]{2,64}$/.test(code)) throw badInput('code must be 2 to 64 letters, digits or _', { field: 'code' });
  const label = (input.label ?? '').trim();
  if (label.length < 1 || label.length > 200) throw badInput('label must have 1 to 200 characters', { field: 'label' });
  if (!Number.isInteger(input.points) || input.points === 0) throw badInput('points must be a non-zero whole number', { field: 'points' });
  const cap = input.monthlyCap ?? null;
  if (cap !== null && (!Number.isInteger(cap) || cap <= 0)) throw badInput('monthlyCap must be a positive whole number', { field: 'monthlyCap' });
  return rt.ds.transaction(async (m) => {
    const { rules } = await currentRules(m, rt.clock);
    // own keys only: a category named after an Object.prototype member (valueOf, constructor …) is no category
    const bounds = ownValue(rules.categories, input.category);
    if (!bounds) throw badInput(`category must be one of ${Object.keys(rules.categories).join(', ')}`, { field: 'category' });
    if (input.points < bounds.min || input.points > bounds.max) {
      throw badInput(`points of a ${input.category} item must be from ${bounds.min} to ${bounds.max}`, { field: 'points' });
    }
    const rows: ItemRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".behaviour_items (scope, code, label, category, passbook, points, monthly_cap, defined_by, defined_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (scope, code) DO UPDATE SET label = EXCLUDED.label, category = EXCLUDED.category, passbook = EXCLUDED.passbook,
         points = EXCLUDED.points, monthly_cap = EXCLUDED.monthly_cap, defined_by = EXCLUDED.defined_by, defined_at = EXCLUDED.defined_at,
         version = "${SCHEMA}".behaviour_items.version + 1
       RETURNING ${COLUMNS}`,
      [scope, code, label, input.category, bounds.passbook, input.points, cap, caller.sub, rt.clock.now()],
    );
    return toItem(rows[0]);
  });
}

/** The town's publicity window in days: the last one it set, else the rules' default. */
export async function publicityDays(m: Pick<EntityManager, 'query'>, townCode: string, fallback: number): Promise<number> {
  const rows: { days: number }[] = await m.query(`SELECT days FROM "${SCHEMA}".publicity_windows WHERE town_code = $1 ORDER BY id DESC LIMIT 1`, [townCode]);
  return rows.length ? rows[0].days : fallback;
}

export async function setPublicityWindow(rt: CivicRuntime, caller: Caller, divisionCode: string, days: number): Promise<number> {
  if (divisionLevelOf(divisionCode) !== 'TOWN') throw badInput('the publicity window is set per town (9-digit code)', { field: 'divisionCode' });
  requireRoleIn(caller, divisionCode, 'TOWN_OFFICIAL');
  return rt.ds.transaction(async (m) => {
    const { rules } = await currentRules(m, rt.clock);
    const { min, max } = rules.publicityDays;
    if (!Number.isInteger(days) || days < min || days > max) throw badInput(`days must be from ${min} to ${max}`, { field: 'days' });
    await m.query(`INSERT INTO "${SCHEMA}".publicity_windows (town_code, days, set_by, set_at) VALUES ($1, $2, $3, $4)`, [divisionCode, days, caller.sub, rt.clock.now()]);
    return days;
  });
}
