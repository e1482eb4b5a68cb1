import { badInput } from '@citypoints/kit';
import { itemOf, normaliseValue, type IndicatorState, type SchemeDefinition } from './engine';

export interface IndicatorClaim {
  code: string;
  value: string;
}

export interface IndicatorVerdict {
  code: string;
  status: 'CLAIMED' | 'VERIFIED' | 'REJECTED';
  verifiedValue?: string | null;
}

/** Checks claims against the scheme: known codes, each once, values of the item's kind. */
export function parseClaims(def: SchemeDefinition, claims: IndicatorClaim[]): IndicatorState[] {
  const seen = new Set<string>();
  return claims.map((c) => {
    const item = itemOf(def, c.code);
    if (!item) throw badInput(`${c.code} is not an indicator of this scheme`, { field: 'indicators', code: c.code });
    if (seen.has(c.code)) throw badInput(`${c.code} is claimed twice`, { field: 'indicators', code: c.code });
    seen.add(c.code);
    return { code: c.code, claimed: normaliseValue(item, c.value), verified: null, status: 'CLAIMED' };
  });
}

/**
 * An officer's verdicts: VERIFIED keeps the claimed value unless a corrected one is given,
 * REJECTED scores nothing, CLAIMED reopens the line. Only claimed lines can be judged.
 */
export function applyVerdicts(def: SchemeDefinition, lines: IndicatorState[], verdicts: IndicatorVerdict[]): IndicatorState[] {
  const out = lines.map((l) => ({ ...l }));
  const seen = new Set<string>();
  for (const v of verdicts) {
    if (seen.has(v.code)) throw badInput(`${v.code} is judged twice`, { field: 'verdicts', code: v.code });
    seen.add(v.code);
    const line = out.find((l) => l.code === v.code);
    if (!line) throw badInput(`${v.code} was not claimed on this application`, { field: 'verdicts', code: v.code });
    const item = itemOf(def, v.code)!;
    if (v.status === 'VERIFIED') {
      const value = v.verifiedValue != null ? normaliseValue(item, v.verifiedValue, 'verdicts') : (line.claimed ?? line.verified);
      if (value == null) throw badInput(`${v.code} has no claimed value; give the verified value`, { field: 'verdicts', code: v.code });
      line.verified = value;
      line.status = 'VERIFIED';
      line.source = 'officer';
    } else {
      if (v.verifiedValue != null) throw badInput(`a verified value goes with VERIFIED only (${v.code})`, { field: 'verdicts', code: v.code });
      line.verified = null;
      line.status = v.status;
      // a rejection is a verdict; reopening (CLAIMED) gives the line back to its claim and records
      if (v.status === 'REJECTED') line.source = 'officer';
      else delete line.source;
    }
  }
  return out;
}

export const allDecided = (lines: IndicatorState[]) => lines.every((l) => l.status !== 'CLAIMED');
