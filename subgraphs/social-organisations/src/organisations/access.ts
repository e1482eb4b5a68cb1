import { forbidden, isWithinDivision } from '@citypoints/kit';
import { isCityAdmin, requireCaller, type Caller } from '@citypoints/auth';

/** The city's civil-affairs department registers and supervises social organisations city-wide. */
export const CIVIL_AFFAIRS = 'CIVIL_AFFAIRS';

export const isCivilAffairs = (c: Caller) => c.roles.includes('DATA_FEED') && c.department === CIVIL_AFFAIRS;

/** City-wide management: the city admin or the civil-affairs department. */
export function requireCityManager(c: Caller | null | undefined): Caller {
  const caller = requireCaller(c);
  if (isCityAdmin(caller) || isCivilAffairs(caller)) return caller;
  throw forbidden('requires the city admin or the civil-affairs department');
}

/** Entering records of an organisation: city-wide managers, or a town official of the organisation's town. */
export function requireOrganisationManager(c: Caller | null | undefined, divisionCode: string | null): Caller {
  const caller = requireCaller(c);
  if (isCityAdmin(caller) || isCivilAffairs(caller)) return caller;
  if (caller.roles.includes('TOWN_OFFICIAL') && isWithinDivision(divisionCode, caller.division)) return caller;
  throw forbidden("requires the civil-affairs department or a town official of the organisation's town");
}
