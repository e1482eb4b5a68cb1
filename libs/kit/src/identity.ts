import { badInput } from './errors';

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** The GB 11643 check character of the first 17 digits of an ID number. */
export function idNumberCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i];
  return ID_CHECK[sum % 11];
}

/** Validates an 18-character ID number and returns its birth date (YYYY-MM-DD). */
export function parseIdNumber(raw: string): { idNumber: string; birthDate: string; regionCode: string } {
  const idNumber = (raw ?? '').trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(idNumber)) throw badInput('ID number must be 17 digits and a check character 0-9 or X', { field: 'idNumber' });
  if (idNumberCheckChar(idNumber.slice(0, 17)) !== idNumber[17]) {
    throw badInput('ID number check character is wrong', { field: 'idNumber' });
  }
  const y = Number(idNumber.slice(6, 10));
  const m = Number(idNumber.slice(10, 12));
  const d = Number(idNumber.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    throw badInput('ID number carries an impossible birth date', { field: 'idNumber' });
  }
  return { idNumber, birthDate: idNumber.slice(6, 10) + '-' + idNumber.slice(10, 12) + '-' + idNumber.slice(12, 14), regionCode: idNumber.slice(0, 6) };
}

export function isValidIdNumber(raw: string): boolean {
  try {
    parseIdNumber(raw);
    return true;
  } catch {
    return false;
  }
}

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The GB 32100 check character of the first 17 characters of a USCC. */
export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_CHARS.indexOf(first17[i]);
    if (v < 0) throw badInput('USCC contains a character outside GB 32100', { field: 'uscc' });
    sum += v * USCC_WEIGHTS[i];
  }
  const c = 31 - (sum % 31);
  return USCC_CHARS[c === 31 ? 0 : c];
}

/** Validates an 18-character unified social credit code and returns it normalised. */
export function parseUscc(raw: string): string {
  const uscc = (raw ?? '').trim().toUpperCase();
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(uscc)) {
    throw badInput('USCC must be 18 characters of GB 32100', { field: 'uscc' });
  }
  if (usccCheckChar(uscc.slice(0, 17)) !== uscc[17]) throw badInput('USCC check character is wrong', { field: 'uscc' });
  return uscc;
}

export function isValidUscc(raw: string): boolean {
  try {
    parseUscc(raw);
    return true;
  } catch {
    return false;
  }
}

/** 张三明 → 张*明; 李四 → 李*; one star per hidden character. */
export function maskName(name: string): string {
  const chars = Array.from(name ?? '');
  if (chars.length <= 1) return chars.join('');
  if (chars.length === 2) return chars[0] + '*';
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1];
}

/** 441900199001011234 → 441900********1234 */
export function maskIdNumber(idNumber: string): string {
  if (!idNumber || idNumber.length !== 18) return '******************';
  return idNumber.slice(0, 6) + '********' + idNumber.slice(14);
}

/** Whole years between a birth date and a day (both YYYY-MM-DD). */
export function ageOn(birthDate: string, day: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = day.split('-').map(Number);
  let age = y - by;
  if (m < bm || (m === bm && d < bd)) age -= 1;
  return age;
}

/** Builds a valid ID number from a region code, a birth date (YYYY-MM-DD) and a 3-digit sequence. */
export function makeIdNumber(region: string, birthDate: string, sequence: number): string {
  const first17 = region + birthDate.replace(/-/g, '') + String(sequence % 1000).padStart(3, '0');
  return first17 + idNumberCheckChar(first17);
}

/** Builds a valid USCC: registration authority and kind (e.g. '91'), region, 9-character body. */
export function makeUscc(prefix: string, region: string, body: string): string {
  const first17 = prefix + region + body;
  return first17 + usccCheckChar(first17);
}
