import { createHash } from 'node:crypto';
import type { Caller } from '@citypoints/auth';

/** A value of a row that cannot become the field's type; the row is rejected with the message. */
export class RowError extends Error {}

type Row = Record<string, string>;

const text = (r: Row, k: string) => r[k]?.trim() ?? '';
const optional = (r: Row, k: string) => (text(r, k) === '' ? undefined : text(r, k));
function int(r: Row, k: string, required = true): number | undefined {
  const v = text(r, k);
  if (v === '' && !required) return undefined;
  if (!/^-?\d+$/.test(v)) throw new RowError(`${k} must be a whole number, not "${v}"`);
  return Number(v);
}
function float(r: Row, k: string): number {
  const v = text(r, k);
  if (!/^-?\d+(\.\d+)?$/.test(v)) throw new RowError(`${k} must be a number, not "${v}"`);
  return Number(v);
}
function bool(r: Row, k: string): boolean {
  const v = text(r, k).toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new RowError(`${k} must be true or false, not "${v}"`);
}

/** What a feed is: its subgraph, its columns, who submits it, and the mutation each row becomes. */
export interface Feed {
  kind: FeedKind;
  subgraph: 'registry' | 'enterprise-credit';
  required: string[];
  optional: string[];
  caller(o: { department?: string }): Caller;
  /** rows per call: aliased mutations in one document, or one list argument */
  shape: { type: 'aliases'; field: string; inputType: string; argument: string } | { type: 'list'; field: string; inputType: string; argument: string };
  toInput(row: Row): Record<string, unknown>;
}

export const FEED_KINDS = ['residents', 'enterprises', 'labour', 'credit'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

const LABOUR_INTS = ['wageArrearsDays', 'workersOwed', 'payCycleDays', 'rentArrearsMonths', 'socialInsuranceArrearsMonths', 'taxArrearsMonths', 'petitions'];

function dataFeed(kind: string) {
  return (o: { department?: string }): Caller => {
    if (!o.department) throw new Error(`the ${kind} feed is submitted by a department: give --department <name>`);
    return { sub: `import:${kind}:${o.department}`, roles: ['DATA_FEED'], department: o.department };
  };
}

export const FEEDS: Record<FeedKind, Feed> = {
  residents: {
    kind: 'residents',
    subgraph: 'registry',
    required: ['idNumber', 'name', 'hukou', 'divisionCode'],
    optional: ['householdId'],
    caller: () => ({ sub: 'import:residents', roles: ['CITY_ADMIN'] }),
    shape: { type: 'aliases', field: 'registerResident', inputType: 'RegisterResidentInput!', argument: 'input' },
    toInput: (r) => ({ idNumber: text(r, 'idNumber'), name: text(r, 'name'), hukou: text(r, 'hukou'), divisionCode: text(r, 'divisionCode'), householdId: optional(r, 'householdId') }),
  },
  enterprises: {
    kind: 'enterprises',
    subgraph: 'registry',
    required: ['uscc', 'name', 'divisionCode'],
    optional: ['industry', 'employees'],
    caller: () => ({ sub: 'import:enterprises', roles: ['CITY_ADMIN'] }),
    shape: { type: 'aliases', field: 'registerEnterprise', inputType: 'RegisterEnterpriseInput!', argument: 'input' },
    toInput: (r) => ({ uscc: text(r, 'uscc'), name: text(r, 'name'), divisionCode: text(r, 'divisionCode'), industry: optional(r, 'industry'), employees: int(r, 'employees', false) }),
  },
  labour: {
    kind: 'labour',
    subgraph: 'enterprise-credit',
    required: ['uscc', 'period', ...LABOUR_INTS, 'arrearsAmount', 'electricityRatio', 'groupIncident', 'source'],
    optional: [],
    caller: dataFeed('labour'),
    shape: { type: 'list', field: 'reportLabourIndicators', inputType: '[LabourIndicatorsInput!]!', argument: 'reports' },
    toInput: (r) => ({
      uscc: text(r, 'uscc'),
      period: text(r, 'period'),
      ...Object.fromEntries(LABOUR_INTS.map((k) => [k, int(r, k)])),
      arrearsAmount: float(r, 'arrearsAmount'),
      electricityRatio: float(r, 'electricityRatio'),
      groupIncident: bool(r, 'groupIncident'),
      source: text(r, 'source'),
    }),
  },
  credit: {
    kind: 'credit',
    subgraph: 'enterprise-credit',
    required: ['uscc', 'kind', 'occurredOn'],
    optional: ['publicMonths', 'note', 'area', 'idempotencyKey'],
    caller: dataFeed('credit'),
    shape: { type: 'aliases', field: 'recordCreditEvent', inputType: 'CreditRecordInput!', argument: 'input' },
    toInput: (r) => {
      const input = { uscc: text(r, 'uscc'), kind: text(r, 'kind'), occurredOn: text(r, 'occurredOn'), publicMonths: int(r, 'publicMonths', false), note: optional(r, 'note'), area: optional(r, 'area') };
      // a row without a key gets one from its content, so a re-run of the file records nothing twice
      const key = optional(r, 'idempotencyKey') ?? `import-${createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 40)}`;
      return { ...input, idempotencyKey: key };
    },
  },
};
