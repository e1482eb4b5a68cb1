import { randomInt } from 'node:crypto';
import { makeIdNumber, makeUscc } from '@citypoints/kit';

const USCC_BODY = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** A valid GB 11643 ID number; birth date and region as given or random. */
const REGIONS = ['441900', '430521', '360121', '450102', '510122', '420111', '410102', '440106'];
const issued = new Set<string>();

/**
 * A valid GB 11643 ID number, never the same twice in a test process; birth date and region as
 * given or random (with a fixed birth date the region varies too, so thousands stay distinct).
 */
export function genIdNumber(o: { birthDate?: string; region?: string } = {}): string {
  for (;;) {
    const birth = o.birthDate ?? `${randomInt(1960, 2005)}-${String(randomInt(1, 13)).padStart(2, '0')}-${String(randomInt(1, 29)).padStart(2, '0')}`;
    const region = o.region ?? REGIONS[randomInt(0, REGIONS.length)];
    const id = makeIdNumber(region, birth, randomInt(0, 1000));
    if (!issued.has(id)) {
      issued.add(id);
      return id;
    }
  }
}

/** A valid GB 32100 USCC ('91' enterprise by default, '51' for a social organisation). */
export function genUscc(prefix = '91'): string {
  const body = Array.from({ length: 9 }, () => USCC_BODY[randomInt(0, USCC_BODY.length)]).join('');
  return makeUscc(prefix, '441900', body);
}

/** The same code with a wrong check character. */
export function withWrongCheck(code: string, alphabet = '0123456789'): string {
  const last = code[code.length - 1];
  const other = alphabet.split('').find((c) => c !== last)!;
  return code.slice(0, -1) + other;
}
