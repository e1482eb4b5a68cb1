import { recordFactOf } from '@citypoints/events';
import { ageOn, badInput, hasOwnKey, ownValue } from '@citypoints/kit';

/** The JSON shape of a scheme (SCHEME_FORMAT.md); the engine interprets it and holds no figures. */
export type SchemeKind = 'SCHOOL_ADMISSION' | 'HOUSEHOLD_REGISTRATION';

export interface Tier {
  from: number;
  to?: number;
  points: number;
}
export interface Step {
  min: number;
  points: number;
}
export interface AgeBand {
  from: number;
  to?: number;
  points?: number;
  perYear?: number;
}

/**
 * Whose records verify a line: the school application's scoring parent or its child (when registry
 * knows the child as a resident), or the household applicant.
 */
export type RecordSubject = 'PARENT' | 'CHILD' | 'APPLICANT';

/**
 * A line the city verifies from its own records (docs/domain/01-school-admission.md): the sum of
 * a record fact (`source` + `fact`, a fact of libs/events' RECORD_FACTS) of the subject, counted
 * from `windowYears` before the submission (all of them without it).
 */
export interface VerifiedFrom {
  source: string;
  fact: string;
  subject: RecordSubject;
  windowYears?: number;
}

interface ItemBase {
  code: string;
  label: string;
  category?: string;
  priority?: boolean;
  verifiedFrom?: VerifiedFrom;
}
export type SchemeItem =
  | (ItemBase & { kind: 'OPTION'; options: Record<string, number> })
  | (ItemBase & { kind: 'BOOLEAN'; points: number })
  | (ItemBase & { kind: 'PER_UNIT'; unit: number; points: number; cap: number | null })
  | (ItemBase & { kind: 'TIERED'; tiers: Tier[]; cap: number | null })
  | (ItemBase & { kind: 'STEP'; steps: Step[]; cap?: number | null })
  | (ItemBase & { kind: 'DERIVED_AGE'; bands: AgeBand[] });

export interface SchemeCategory {
  code: string;
  label: string;
  cap: number;
}

export interface SchemeDefinition {
  threshold?: number;
  barYears: number;
  conditions?: string[];
  tieBreakers?: string[];
  /** SCHOOL_ADMISSION: applications for year Y open on opensMonthDay of Y−1 and close on closesMonthDay of Y */
  applicationWindow?: { opensMonthDay: string; closesMonthDay: string };
  /** SCHOOL_ADMISSION: the child's whole years of age on monthDay of the school year, inclusive */
  childAge?: { min: number; max: number; onMonthDay: string };
  /** SCHOOL_ADMISSION: the scoring parent's hukou registry must hold (a LOCAL parent is INELIGIBLE at submission) */
  parentHukou?: 'MIGRANT' | 'LOCAL';
  /** BOOLEAN items that must be verified true when ranking runs, or the application is INELIGIBLE and stays out of the pool */
  eligibility?: string[];
  categories?: SchemeCategory[];
  items: SchemeItem[];
}

export type LineStatus = 'CLAIMED' | 'VERIFIED' | 'REJECTED';

/** An indicator as the application holds it: what was claimed, what an officer verified. */
export interface IndicatorState {
  code: string;
  /** null for a line the city's records verified without a claim */
  claimed: string | null;
  verified: string | null;
  status: LineStatus;
  /** where the verified value came from: 'officer', or the subgraph whose records verified it; absent while claimed only */
  source?: string | null;
}

export interface ScoredLine {
  code: string;
  label: string;
  claimed: string | null;
  verified: string | null;
  status: LineStatus;
  points: number;
  capped: boolean;
  /** as on the indicator; absent on lines nobody verified and on breakdowns stored before sources */
  source?: string | null;
}

export interface Breakdown {
  total: number;
  lines: ScoredLine[];
  /** a verified truthy line of a `priority` item */
  priority: boolean;
}

const KINDS = ['OPTION', 'BOOLEAN', 'PER_UNIT', 'TIERED', 'STEP', 'DERIVED_AGE'];
/** the subjects a kind's applications name, whose records can verify a line */
const SUBJECTS: Record<SchemeKind, RecordSubject[]> = { SCHOOL_ADMISSION: ['PARENT', 'CHILD'], HOUSEHOLD_REGISTRATION: ['APPLICANT'] };
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

const round2 = (n: number) => Math.round(n * 100) / 100;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function fail(message: string, path: string): never {
  throw badInput(`scheme definition: ${message}`, { field: 'definition', path });
}

function checkRanges(ranges: { from: number; to?: number }[], path: string, startAt: number | null): void {
  if (!Array.isArray(ranges) || ranges.length === 0) fail('needs at least one range', path);
  ranges.forEach((r, i) => {
    if (!isNum(r.from) || !Number.isInteger(r.from)) fail('from must be a whole number', `${path}[${i}]`);
    if (r.to !== undefined && (!isNum(r.to) || !Number.isInteger(r.to) || r.to < r.from)) fail('to must be a whole number ≥ from', `${path}[${i}]`);
    if (r.to === undefined && i !== ranges.length - 1) fail('only the last range may be open-ended', `${path}[${i}]`);
    if (i === 0 && startAt !== null && r.from !== startAt) fail(`the first range starts at ${startAt}`, `${path}[0]`);
    if (i > 0) {
      const prev = ranges[i - 1];
      if (r.from <= (prev.to as number)) fail('ranges overlap', `${path}[${i}]`);
      if (r.from !== (prev.to as number) + 1) fail('ranges leave a gap', `${path}[${i}]`);
    }
  });
}

function checkCap(item: Record<string, unknown>, path: string, required: boolean): void {
  if (!('cap' in item)) {
    if (required) fail(`item ${String(item.code)} must state its cap (a number, or null for none)`, `${path}.cap`);
    return;
  }
  if (item.cap !== null && (!isNum(item.cap) || item.cap <= 0)) fail('cap must be a positive number or null', `${path}.cap`);
}

function checkVerifiedFrom(kind: SchemeKind, item: Record<string, unknown>, path: string): void {
  const v = item.verifiedFrom as Record<string, unknown> | null;
  const at = `${path}.verifiedFrom`;
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail('verifiedFrom must be an object', at);
  if (!['PER_UNIT', 'TIERED', 'STEP'].includes(item.kind as string)) fail(`item ${String(item.code)} counts records, so it must be PER_UNIT, TIERED or STEP`, at);
  if (typeof v.source !== 'string' || typeof v.fact !== 'string' || !recordFactOf(v.source, v.fact)) {
    fail(`verifiedFrom names no record fact the city keeps (${String(v.source)}/${String(v.fact)})`, at);
  }
  if (!SUBJECTS[kind].includes(v.subject as RecordSubject)) fail(`verifiedFrom.subject must be ${SUBJECTS[kind].join(' or ')}`, `${at}.subject`);
  if (v.windowYears !== undefined && (!isNum(v.windowYears) || !Number.isInteger(v.windowYears) || v.windowYears < 1 || v.windowYears > 100)) {
    fail('verifiedFrom.windowYears must be a whole number 1..100', `${at}.windowYears`);
  }
  const extra = Object.keys(v).filter((k) => !['source', 'fact', 'subject', 'windowYears'].includes(k));
  if (extra.length) fail(`verifiedFrom does not take ${extra.join(', ')}`, at);
}

/** Validates an untrusted definition (publishPointsScheme) and returns it typed. */
export function validateDefinition(kind: SchemeKind, raw: unknown): SchemeDefinition {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('must be an object', '');
  const d = raw as Record<string, unknown>;
  if (!isNum(d.barYears) || !Number.isInteger(d.barYears) || d.barYears < 0 || d.barYears > 20) fail('barYears must be a whole number 0..20', 'barYears');
  if (d.threshold !== undefined && !isNum(d.threshold)) fail('threshold must be a number', 'threshold');
  if (kind === 'HOUSEHOLD_REGISTRATION' && !isNum(d.threshold)) fail('a household-registration scheme needs a threshold', 'threshold');
  const categories = (d.categories ?? []) as SchemeCategory[];
  if (!Array.isArray(categories)) fail('categories must be a list', 'categories');
  const catCodes = new Set<string>();
  categories.forEach((c, i) => {
    if (!c || typeof c.code !== 'string' || !CODE.test(c.code)) fail('a category needs a code', `categories[${i}]`);
    if (catCodes.has(c.code)) fail(`duplicate category ${c.code}`, `categories[${i}]`);
    if (!isNum(c.cap) || c.cap <= 0) fail(`category ${c.code} needs a positive cap`, `categories[${i}].cap`);
    catCodes.add(c.code);
  });
  if (!Array.isArray(d.items) || d.items.length === 0) fail('items must be a non-empty list', 'items');
  const codes = new Set<string>();
  (d.items as Record<string, unknown>[]).forEach((item, i) => {
    const path = `items[${i}]`;
    if (!item || typeof item !== 'object') fail('an item must be an object', path);
    if (typeof item.code !== 'string' || !CODE.test(item.code)) fail('code must be A-Z, 0-9 or _', `${path}.code`);
    if (codes.has(item.code)) fail(`duplicate item ${item.code}`, `${path}.code`);
    codes.add(item.code);
    if (typeof item.label !== 'string' || !item.label.trim()) fail(`item ${item.code} needs a label`, `${path}.label`);
    if (!KINDS.includes(item.kind as string)) fail(`unknown item kind ${String(item.kind)}`, `${path}.kind`);
    if (item.category !== undefined && !catCodes.has(item.category as string)) fail(`item ${item.code} names the undefined category ${String(item.category)}`, `${path}.category`);
    if (item.priority !== undefined && typeof item.priority !== 'boolean') fail('priority must be true or false', `${path}.priority`);
    if (item.verifiedFrom !== undefined) checkVerifiedFrom(kind, item, path);
    switch (item.kind) {
      case 'OPTION': {
        const o = item.options as Record<string, unknown>;
        if (!o || typeof o !== 'object' || !Object.keys(o).length) fail('options must name at least one option', `${path}.options`);
        for (const [k, v] of Object.entries(o)) if (!CODE.test(k) || !isNum(v)) fail(`option ${k} needs numeric points`, `${path}.options.${k}`);
        break;
      }
      case 'BOOLEAN':
        if (!isNum(item.points)) fail('points must be a number', `${path}.points`);
        break;
      case 'PER_UNIT':
        if (!isNum(item.unit) || item.unit <= 0) fail('unit must be positive', `${path}.unit`);
        if (!isNum(item.points)) fail('points must be a number', `${path}.points`);
        checkCap(item, path, true);
        break;
      case 'TIERED':
        checkRanges(item.tiers as Tier[], `${path}.tiers`, 1);
        (item.tiers as Tier[]).forEach((t, k) => isNum(t.points) || fail('a tier needs points', `${path}.tiers[${k}]`));
        checkCap(item, path, true);
        break;
      case 'STEP': {
        const steps = item.steps as Step[];
        if (!Array.isArray(steps) || !steps.length) fail('steps must be a non-empty list', `${path}.steps`);
        steps.forEach((s, k) => {
          if (!isNum(s.min) || !isNum(s.points)) fail('a step needs min and points', `${path}.steps[${k}]`);
          if (k > 0 && s.min <= steps[k - 1].min) fail('step minimums must strictly increase (steps overlap)', `${path}.steps[${k}]`);
        });
        checkCap(item, path, false);
        break;
      }
      case 'DERIVED_AGE':
        checkRanges(item.bands as AgeBand[], `${path}.bands`, 0);
        (item.bands as AgeBand[]).forEach((b, k) => {
          if (b.points !== undefined && !isNum(b.points)) fail('band points must be a number', `${path}.bands[${k}]`);
          if (b.perYear !== undefined && !isNum(b.perYear)) fail('perYear must be a number', `${path}.bands[${k}]`);
        });
        if ((item.bands as AgeBand[])[(item.bands as AgeBand[]).length - 1].to !== undefined) fail('the last band must be open-ended', `${path}.bands`);
        break;
    }
  });
  const w = d.applicationWindow as { opensMonthDay?: unknown; closesMonthDay?: unknown } | undefined;
  const monthDay = /^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
  if (w !== undefined && (typeof w.opensMonthDay !== 'string' || !monthDay.test(w.opensMonthDay) || typeof w.closesMonthDay !== 'string' || !monthDay.test(w.closesMonthDay))) {
    fail('applicationWindow needs opensMonthDay and closesMonthDay as MM-DD', 'applicationWindow');
  }
  const age = d.childAge as { min?: unknown; max?: unknown; onMonthDay?: unknown } | undefined;
  if (age !== undefined && (!isNum(age.min) || !isNum(age.max) || age.min > age.max || typeof age.onMonthDay !== 'string' || !monthDay.test(age.onMonthDay))) {
    fail('childAge needs min ≤ max and onMonthDay as MM-DD', 'childAge');
  }
  for (const t of (d.tieBreakers ?? []) as string[]) if (!codes.has(t)) fail(`tie-breaker ${t} is not an item`, 'tieBreakers');
  if (d.parentHukou !== undefined && d.parentHukou !== 'MIGRANT' && d.parentHukou !== 'LOCAL') fail('parentHukou must be MIGRANT or LOCAL', 'parentHukou');
  if (d.eligibility !== undefined) {
    if (!Array.isArray(d.eligibility)) fail('eligibility must be a list of item codes', 'eligibility');
    const items = d.items as { code: string; kind: string }[];
    (d.eligibility as unknown[]).forEach((c, i) => {
      if (!items.some((it) => it.code === c && it.kind === 'BOOLEAN')) fail(`eligibility condition ${String(c)} must be a BOOLEAN item`, `eligibility[${i}]`);
    });
  }
  if (d.conditions !== undefined && (!Array.isArray(d.conditions) || d.conditions.some((c) => typeof c !== 'string' || !CODE.test(c)))) fail('conditions must be a list of codes', 'conditions');
  return d as unknown as SchemeDefinition;
}

/** Normalises a claimed or verified value for an item; wrong values are BAD_USER_INPUT. */
export function normaliseValue(item: SchemeItem, raw: string, field = 'indicators'): string {
  const v = (raw ?? '').trim();
  switch (item.kind) {
    case 'OPTION':
      // own keys only: a value named after an Object.prototype member (constructor, toString …) is no option
      if (!hasOwnKey(item.options, v)) throw badInput(`${item.code} must be one of ${Object.keys(item.options).join(', ')}`, { field, code: item.code });
      return v;
    case 'BOOLEAN':
      if (v !== 'true' && v !== 'false') throw badInput(`${item.code} must be "true" or "false"`, { field, code: item.code });
      return v;
    case 'DERIVED_AGE':
      throw badInput(`${item.code} is derived from the ID number and cannot be claimed`, { field, code: item.code });
    default: {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n) || n < 0 || n > 1e12) throw badInput(`${item.code} must be a number ≥ 0`, { field, code: item.code });
      return String(n);
    }
  }
}

export function itemOf(def: SchemeDefinition, code: string): SchemeItem | undefined {
  return def.items.find((i) => i.code === code);
}

function tieredPoints(tiers: Tier[], units: number): number {
  let sum = 0;
  for (const t of tiers) {
    const hi = t.to === undefined ? units : Math.min(units, t.to);
    if (hi >= t.from) sum += (hi - t.from + 1) * t.points;
  }
  return sum;
}

function withCap(points: number, cap: number | null | undefined): { points: number; capped: boolean } {
  if (cap != null && points > cap) return { points: cap, capped: true };
  return { points, capped: false };
}

/** Points of one item for one value, before category caps. */
export function itemPoints(item: SchemeItem, value: string): { points: number; capped: boolean } {
  switch (item.kind) {
    case 'OPTION':
      return { points: ownValue(item.options, value) ?? 0, capped: false };
    case 'BOOLEAN':
      return { points: value === 'true' ? item.points : 0, capped: false };
    case 'PER_UNIT':
      return withCap(Math.floor(Number(value) / item.unit) * item.points, item.cap);
    case 'TIERED':
      return withCap(tieredPoints(item.tiers, Math.floor(Number(value))), item.cap);
    case 'STEP': {
      const n = Number(value);
      let pts = 0;
      for (const s of item.steps) if (n >= s.min) pts = s.points;
      return withCap(pts, item.cap);
    }
    case 'DERIVED_AGE': {
      const age = Math.floor(Number(value));
      const band = item.bands.find((b) => age >= b.from && (b.to === undefined || age <= b.to));
      if (!band) return { points: 0, capped: false };
      return { points: (band.points ?? 0) + (band.perYear ?? 0) * (age - band.from + 1), capped: false };
    }
  }
}

export interface ScoreContext {
  /** the applicant's birth date, for DERIVED_AGE items */
  birthDate?: string | null;
  /** the submission day (YYYY-MM-DD) the age is taken on */
  onDay?: string | null;
}

/**
 * Scores an application's indicators under a scheme: only verified values score; item caps, then
 * category caps (cutting the category's last lines first), then the total. Derived lines are
 * computed and count as verified. Every item of the scheme appears as a line, in scheme order.
 */
export function scoreApplication(def: SchemeDefinition, indicators: IndicatorState[], ctx: ScoreContext = {}): Breakdown {
  const byCode = new Map(indicators.map((i) => [i.code, i]));
  const lines: (ScoredLine & { category?: string })[] = [];
  let priority = false;
  for (const item of def.items) {
    if (item.kind === 'DERIVED_AGE') {
      if (!ctx.birthDate || !ctx.onDay) {
        lines.push({ code: item.code, label: item.label, claimed: null, verified: null, status: 'CLAIMED', points: 0, capped: false, category: item.category });
        continue;
      }
      const age = String(ageOn(ctx.birthDate, ctx.onDay));
      const { points, capped } = itemPoints(item, age);
      lines.push({ code: item.code, label: item.label, claimed: age, verified: age, status: 'VERIFIED', points, capped, category: item.category });
      continue;
    }
    const ind = byCode.get(item.code);
    if (!ind) {
      lines.push({ code: item.code, label: item.label, claimed: null, verified: null, status: 'CLAIMED', points: 0, capped: false, category: item.category });
      continue;
    }
    const scored = ind.status === 'VERIFIED' && ind.verified != null ? itemPoints(item, ind.verified) : { points: 0, capped: false };
    if (item.priority && ind.status === 'VERIFIED' && ind.verified === 'true') priority = true;
    lines.push({
      code: item.code,
      label: item.label,
      claimed: ind.claimed,
      verified: ind.verified,
      status: ind.status,
      points: scored.points,
      capped: scored.capped,
      category: item.category,
      ...(ind.source != null ? { source: ind.source } : {}),
    });
  }
  for (const cat of def.categories ?? []) {
    let left = cat.cap;
    for (const line of lines) {
      if (line.category !== cat.code || line.points <= 0) continue;
      if (line.points > left) {
        line.points = Math.max(0, left);
        line.capped = true;
      }
      left -= line.points;
    }
  }
  const total = round2(lines.reduce((s, l) => s + l.points, 0));
  return { total, priority, lines: lines.map(({ category: _c, ...l }) => ({ ...l, points: round2(l.points) })) };
}

/**
 * The scheme's eligibility conditions (`eligibility`) not met by the lines: a condition is met
 * once it is verified true, like any line. Empty when the application is eligible.
 */
export function unmetConditions(def: SchemeDefinition, lines: IndicatorState[]): string[] {
  return (def.eligibility ?? []).filter((code) => {
    const line = lines.find((l) => l.code === code);
    return !line || line.status !== 'VERIFIED' || line.verified !== 'true';
  });
}

/** Points of a line in a breakdown (tie-breakers), 0 when absent. */
export function linePoints(b: Breakdown, code: string | undefined): number {
  if (!code) return 0;
  return b.lines.find((l) => l.code === code)?.points ?? 0;
}
