import { hasRole, isCityWide, requireCaller, type Caller, type Role } from '@citypoints/auth';
import { forbidden, isWithinDivision } from '@citypoints/kit';

/** Officials who see enterprises of their own division only (docs/domain/09-access.md). */
const SCOPED: Role[] = ['REGULATOR', 'TOWN_OFFICIAL'];

/**
 * Credit may be read city-wide by the city and departments (they check it before they act),
 * by regulators and town officials within their division. Labour risk is not for data feeds.
 */
export function assertCanRead(c: Caller | null | undefined, divisionCode: string | null, what: 'credit' | 'labourRisk'): Caller {
  const caller = requireCaller(c);
  if (isCityWide(caller)) return caller;
  if (what === 'credit' && hasRole(caller, 'DATA_FEED')) return caller;
  if (hasRole(caller, ...SCOPED)) {
    if (divisionCode && isWithinDivision(divisionCode, caller.division)) return caller;
    throw forbidden(`the enterprise is outside the caller's division ${caller.division ?? '(none)'}`);
  }
  throw forbidden(`${what} of an enterprise is not shown to this caller`);
}

/**
 * Whether the caller's role may read this at all, before anything is looked up: a caller who
 * may not must learn nothing, not even whether an enterprise exists.
 */
export function assertMayRead(c: Caller | null | undefined, what: 'credit' | 'labourRisk'): Caller {
  const caller = requireCaller(c);
  if (isCityWide(caller) || hasRole(caller, ...SCOPED) || (what === 'credit' && hasRole(caller, 'DATA_FEED'))) return caller;
  throw forbidden(`${what} of an enterprise is not shown to this caller`);
}

/** The division scope a caller reads alerts in: null for the whole city. */
export function alertScope(c: Caller | null | undefined): string | null {
  const caller = requireCaller(c);
  if (isCityWide(caller)) return null;
  if (hasRole(caller, 'REGULATOR') && caller.division) return caller.division;
  throw forbidden('labour-risk alerts are for regulators of a division');
}
