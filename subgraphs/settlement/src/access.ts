import { hasRole, isCityWide, requireCaller, type Caller, type Role } from '@citypoints/auth';
import { forbidden, isWithinDivision } from '@citypoints/kit';

/** Officials who act on settlement applications within their division (docs/domain/09-access.md). */
export const SETTLEMENT_OFFICIALS: Role[] = ['TOWN_OFFICIAL', 'EDUCATION_OFFICER', 'HUKOU_OFFICER'];

/** The officials of a division whose step needs a resident's school applications: the applicant and the child. */
export const SCHOOL_OFFICIALS: Role[] = ['TOWN_OFFICIAL', 'EDUCATION_OFFICER'];
/** The officials of a division whose step needs a resident's household applications and talent card (the hukou condition it confers). */
export const HUKOU_OFFICIALS: Role[] = ['TOWN_OFFICIAL', 'HUKOU_OFFICER'];

/**
 * Whether the caller may see a resident's settlement data in full: city-wide callers, the
 * resident themself, and settlement officials whose division holds the data's division.
 */
export function seesInFull(caller: Caller | null, residentId: string, divisionCode: string, officials: Role[] = SETTLEMENT_OFFICIALS): boolean {
  if (!caller) return false;
  if (isCityWide(caller)) return true;
  if (hasRole(caller, 'RESIDENT') && caller.sub === residentId) return true;
  return hasRole(caller, ...officials) && isWithinDivision(divisionCode, caller.division);
}

export function requireFullView(caller: Caller | null, residentId: string, divisionCode: string, officials?: Role[]): Caller {
  const c = requireCaller(caller);
  if (!seesInFull(c, residentId, divisionCode, officials)) throw forbidden('this application belongs to someone else');
  return c;
}

/** Acting for an applicant: the applicant themself, or an official whose division holds the town. */
export function requireActingFor(caller: Caller | null, residentId: string, townCode: string, officials: Role[]): Caller {
  const c = requireCaller(caller);
  if (hasRole(c, 'CITY_ADMIN')) return c;
  if (hasRole(c, 'RESIDENT') && c.sub === residentId) return c;
  if (hasRole(c, ...officials) && isWithinDivision(townCode, c.division)) return c;
  throw forbidden('only the applicant or an official of the town may do this');
}
