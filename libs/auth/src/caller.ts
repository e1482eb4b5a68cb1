import { forbidden, unauthenticated, isWithinDivision } from '@citypoints/kit';

export const Roles = [
  'CITY_ADMIN',
  'DEPARTMENT_ANALYST',
  'TOWN_OFFICIAL',
  'VILLAGE_REGISTRAR',
  'VILLAGE_REVIEWER',
  'PUBLICITY_CLERK',
  'TOWN_REVIEWER',
  'EDUCATION_OFFICER',
  'HUKOU_OFFICER',
  'REGULATOR',
  'DATA_FEED',
  'MERCHANT',
  'RESIDENT',
] as const;
export type Role = (typeof Roles)[number];

/** The verified caller of a request (docs/domain/09-access.md). */
export interface Caller {
  sub: string;
  roles: Role[];
  department?: string;
  division?: string;
  /** why a department reads personal data; recorded in the audit trail */
  purpose?: string;
}

export const hasRole = (c: Caller | null | undefined, ...roles: Role[]) => !!c && roles.some((r) => c.roles.includes(r));
export const isCityAdmin = (c: Caller | null | undefined) => hasRole(c, 'CITY_ADMIN');

/** Callers whose reach is the whole city: the city admin and department analysts. */
export const isCityWide = (c: Caller | null | undefined) => hasRole(c, 'CITY_ADMIN', 'DEPARTMENT_ANALYST');

export function requireCaller(c: Caller | null | undefined): Caller {
  if (!c) throw unauthenticated();
  return c;
}

/** Throws FORBIDDEN unless the caller has one of the roles (the city admin has all). */
export function requireRole(c: Caller | null | undefined, ...roles: Role[]): Caller {
  const caller = requireCaller(c);
  if (isCityAdmin(caller) || roles.some((r) => caller.roles.includes(r))) return caller;
  throw forbidden(`requires one of the roles ${roles.join(', ')}`);
}

/**
 * True when the caller may act on data of the given division: city-wide callers anywhere, others
 * inside the division of their claim (and its descendants).
 */
export function canReachDivision(c: Caller | null | undefined, divisionCode: string | null | undefined): boolean {
  if (!c) return false;
  if (isCityWide(c)) return true;
  return isWithinDivision(divisionCode, c.division);
}

export function requireDivision(c: Caller | null | undefined, divisionCode: string | null | undefined): Caller {
  const caller = requireCaller(c);
  if (!canReachDivision(caller, divisionCode)) throw forbidden(`outside the caller's division ${caller.division ?? '(none)'}`);
  return caller;
}

/** Requires one of the roles AND reach over the division: the usual check for officials. */
export function requireRoleIn(c: Caller | null | undefined, divisionCode: string | null | undefined, ...roles: Role[]): Caller {
  requireRole(c, ...roles);
  return requireDivision(c, divisionCode);
}
