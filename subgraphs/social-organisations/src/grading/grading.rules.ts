import type { CreditPurpose, Grade, SchemeDefinition } from '../scheme/scheme.rules';

export type MemberEffectKind = 'MEMBER_PENALTY' | 'MEMBER_BLACKLISTED';

export interface IndicatorFact {
  category: string;
  points: number;
  /** how many entered records this fact sums (a category's total read in one row); 1 when absent */
  records?: number;
}
export interface ViolationFact {
  severity: number;
  note: string | null;
}
export interface MemberEffectFact {
  effect: MemberEffectKind;
  enterpriseUscc: string;
  /** the credit record kind, for a penalty line */
  recordKind: string | null;
  /** the record id or the day the enterprise turned BLACK */
  reference: string;
  removed: boolean;
}

export interface GradingLineValue {
  category: string;
  points: number;
  capped: boolean;
  note: string | null;
}

export interface ComputedGrading {
  points: number;
  grade: Grade;
  supervision: string;
  exitFlagged: boolean;
  lines: GradingLineValue[];
  /** lines that once counted and no longer do (a lifted blacklisting), kept as history */
  removedLines: GradingLineValue[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The grade whose boundary the points reach, scanning from the highest. */
export function gradeFor(def: SchemeDefinition, points: number): { grade: Grade; supervision: string } {
  for (const g of def.grades) {
    if (g.minPoints === null || points >= g.minPoints) return { grade: g.grade, supervision: g.supervision };
  }
  const last = def.grades[def.grades.length - 1];
  return { grade: last.grade, supervision: last.supervision };
}

function memberLine(def: SchemeDefinition, e: MemberEffectFact): GradingLineValue {
  if (e.effect === 'MEMBER_BLACKLISTED') {
    return { category: e.effect, points: -def.memberEffects.blacklisting, capped: false, note: `member ${e.enterpriseUscc} turned BLACK on ${e.reference}` };
  }
  const deduction = def.memberEffects.recordKinds[e.recordKind ?? ''] ?? 0;
  return { category: e.effect, points: -deduction, capped: false, note: `member ${e.enterpriseUscc}: ${e.recordKind} record ${e.reference}` };
}

/**
 * Points = each positive category's entries summed and capped, minus violations and member
 * effects. One line per category (in the scheme's order, empty ones at 0), per violation and per
 * member effect, so the lines add up to the points.
 */
export function computeGrading(def: SchemeDefinition, facts: { indicators: IndicatorFact[]; violations: ViolationFact[]; effects: MemberEffectFact[] }): ComputedGrading {
  const lines: GradingLineValue[] = [];
  for (const c of def.categories) {
    const entries = facts.indicators.filter((i) => i.category === c.code);
    const raw = round2(entries.reduce((s, i) => s + i.points, 0));
    const records = entries.reduce((n, i) => n + (i.records ?? 1), 0);
    const capped = raw > c.cap;
    lines.push({
      category: c.code,
      points: capped ? c.cap : raw,
      capped,
      note: `${c.label}: ${records} record(s), ${raw} entered` + (capped ? `, capped at ${c.cap}` : ''),
    });
  }
  for (const v of facts.violations) lines.push({ category: 'VIOLATION', points: -v.severity, capped: false, note: v.note });
  const removedLines: GradingLineValue[] = [];
  for (const e of facts.effects) (e.removed ? removedLines : lines).push(memberLine(def, e));
  const points = round2(lines.reduce((s, l) => s + l.points, 0));
  const { grade, supervision } = gradeFor(def, points);
  return { points, grade, supervision, exitFlagged: points < def.exitBelow, lines, removedLines };
}

export interface RankedOrganisation {
  uscc: string;
  kind: string;
  points: number;
}

/** Ranking order: points high to low; equal points by USCC, so a rerun ranks the same way. */
export function compareRanked(a: { uscc: string; points: number }, b: { uscc: string; points: number }): number {
  return b.points - a.points || (a.uscc < b.uscc ? -1 : a.uscc > b.uscc ? 1 : 0);
}

/** The funding reward places of the year: the scheme's kind ranked, each place's amount. */
export function rewardPlaces(def: SchemeDefinition, graded: RankedOrganisation[]): Map<string, { rank: number; amount: number }> {
  const ranked = graded.filter((g) => g.kind === def.reward.kind).sort(compareRanked);
  const out = new Map<string, { rank: number; amount: number }>();
  for (const place of def.reward.places) {
    const org = ranked[place.rank - 1];
    if (org) out.set(org.uscc, { rank: place.rank, amount: place.amount });
  }
  return out;
}

export interface CreditVerdict {
  allowed: boolean;
  priority: boolean;
  reasons: string[];
}

/** What an organisation's grade means for an office about to commission, fund or buy. */
export function creditFor(def: SchemeDefinition, grade: Grade | null, purpose: CreditPurpose): CreditVerdict {
  if (!grade) return { allowed: true, priority: false, reasons: ['not graded for the year'] };
  const rule = def.credit[grade];
  const reasons: string[] = [];
  const allowed = !rule.excluded.includes(purpose);
  if (!allowed) reasons.push(`grade ${grade} excludes from ${purpose}`);
  const priority = allowed && rule.priority.includes(purpose);
  if (priority) reasons.push(`grade ${grade} gives priority for ${purpose}`);
  return { allowed, priority, reasons };
}
