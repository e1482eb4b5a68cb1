/**
 * Division codes are hierarchical by prefix: the city 441900 (6 digits), a town or street
 * 441900003 (9 digits), a village or community 441900003001 (12 digits). A division lies within
 * another when its code starts with the other's code, so scoping needs no lookup.
 */
export type DivisionLevelName = 'CITY' | 'TOWN' | 'VILLAGE';

export function divisionLevelOf(code: string): DivisionLevelName | null {
  if (/^\d{6}$/.test(code)) return 'CITY';
  if (/^\d{9}$/.test(code)) return 'TOWN';
  if (/^\d{12}$/.test(code)) return 'VILLAGE';
  return null;
}

export function isWithinDivision(code: string | null | undefined, scope: string | null | undefined): boolean {
  if (!code || !scope) return false;
  return code.startsWith(scope);
}

/** The town (9-digit) a division belongs to, or null for the city itself. */
export function townOf(code: string): string | null {
  return code.length >= 9 ? code.slice(0, 9) : null;
}

export function parentCodeOf(code: string): string | null {
  if (code.length === 12) return code.slice(0, 9);
  if (code.length === 9) return code.slice(0, 6);
  return null;
}
