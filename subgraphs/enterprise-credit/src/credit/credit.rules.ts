import { addMonths, badInput, invalidState, ownValue } from '@citypoints/kit';
import type { KindRule } from './credit.scheme';

/** The minimum months of a record's kind, raised by its area (work safety, fire, special equipment: a year). */
const areaMinimum = (rule: KindRule, area: string | null) => (area ? (ownValue<number | undefined>(rule.areaMinMonths, area) ?? 0) : 0);

/**
 * The publicity period of a record: the feed's months, or the kind's default, checked against the
 * kind's minimum (raised for some penalty areas) and maximum. Open-ended kinds take none.
 */
export function publicUntilOf(rule: KindRule, occurredOn: string, publicMonths: number | null | undefined, area: string | null): string | null {
  if (rule.openEnded) {
    if (publicMonths != null) throw badInput('this kind of record lasts until its removal is recorded; give no publicMonths', { field: 'publicMonths' });
    return null;
  }
  const months = publicMonths ?? rule.defaultMonths;
  if (months == null) throw badInput('publicMonths is required for this kind', { field: 'publicMonths' });
  const min = Math.max(rule.minMonths ?? 0, areaMinimum(rule, area));
  const max = rule.maxMonths ?? Infinity;
  if (!Number.isInteger(months) || months < Math.max(1, min) || months > max) {
    throw badInput(`publicMonths must be between ${Math.max(1, min)} and ${max} for this kind${area && area !== 'GENERAL' ? ` and area ${area}` : ''}`, { field: 'publicMonths', min, max });
  }
  return addMonths(occurredOn, months);
}

/**
 * The first day repair may be decided: after the kind's repair minimum, never before its area's
 * minimum (docs/domain/05-enterprise-credit.md: the 1-year minimum of work safety, fire and special equipment holds for
 * repair too). None for positive kinds.
 */
export function repairableFromOf(rule: KindRule, occurredOn: string, area: string | null): string | null {
  if (!rule.negative) return null;
  return addMonths(occurredOn, Math.max(rule.repairAfterMonths ?? rule.minMonths ?? 0, areaMinimum(rule, area)));
}

export interface RepairRequest {
  kind: string;
  negative: boolean;
  occurredOn: string;
  repairableFrom: string | null;
  publicUntil: string | null;
  repaired: boolean;
  today: string;
  wagesPaid: boolean;
  pledgeSigned: boolean;
}

/**
 * Credit repair is possible once the kind's minimum has passed. Ending a record before its
 * period is over may need conditions (wage arrears: wages paid and a good-faith pledge).
 */
export function checkRepair(rule: KindRule, r: RepairRequest): void {
  if (!r.negative) throw invalidState(`a ${r.kind} record is not negative and needs no repair`);
  if (r.repaired) throw invalidState('the record is repaired already');
  const earliest = r.repairableFrom ?? addMonths(r.occurredOn, rule.repairAfterMonths ?? rule.minMonths ?? 0);
  if (r.today < earliest) throw invalidState(`repair is possible from ${earliest}`, { repairableFrom: earliest });
  const early = r.publicUntil == null || r.today < r.publicUntil;
  if (early) {
    for (const cond of rule.earlyRemovalRequires ?? []) {
      if (cond === 'wagesPaid' && !r.wagesPaid) throw badInput('early removal needs the wages paid', { field: 'wagesPaid' });
      if (cond === 'pledgeSigned' && !r.pledgeSigned) throw badInput('early removal needs a signed good-faith pledge', { field: 'pledgeSigned' });
    }
  }
}
