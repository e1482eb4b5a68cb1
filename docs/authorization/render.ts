/**
 * Renders docs/authorization.md from the table:
 * `node -r @swc-node/register docs/authorization/render.ts` (tests/e2e/authz-table.spec.ts checks it is current).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PRINCIPALS, TABLE, cellOf, type Access, type Principal, type Row } from './table';

const MARK: Record<Access, string> = { allowed: '✓', masked: 'M', denied: '·' };
const SHORT: Record<Principal, string> = {
  CITY_ADMIN: 'ADM',
  DEPARTMENT_ANALYST: 'ANA',
  TOWN_OFFICIAL: 'TWN',
  VILLAGE_REGISTRAR: 'VRG',
  VILLAGE_REVIEWER: 'VRV',
  PUBLICITY_CLERK: 'PUB',
  TOWN_REVIEWER: 'TRV',
  EDUCATION_OFFICER: 'EDU',
  HUKOU_OFFICER: 'HUK',
  REGULATOR: 'REG',
  DATA_FEED: 'FEED',
  MERCHANT: 'MER',
  RESIDENT: 'RES',
  ANONYMOUS: 'ANON',
};

const cell = (r: Row, p: Principal) => {
  const own = cellOf(r, p, 'own');
  const other = cellOf(r, p, 'other');
  return own === other ? MARK[own] : `${MARK[own]}/${MARK[other]}`;
};

export function render(): string {
  const head = `| ${['operation or field', ...PRINCIPALS.map((p) => SHORT[p])].join(' | ')} | basis |\n|${' --- |'.repeat(PRINCIPALS.length + 2)}`;
  const section = (title: string, rows: Row[]) => `## ${title}\n\n${head}\n${rows.map((r) => `| \`${r.name}\` | ${PRINCIPALS.map((p) => cell(r, p)).join(' | ')} | ${r.basis} |`).join('\n')}\n`;
  return [
    '# Who may call what (DOMAIN §9)',
    '',
    'Rendered from [`docs/authorization/table.ts`](authorization/table.ts) by `node -r @swc-node/register docs/authorization/render.ts`; do not edit by hand.',
    '`tests/e2e/authz-table.spec.ts` calls every cell through the gateway and fails when the composed supergraph has a Query or Mutation field without a row.',
    '',
    '`✓` allowed · `M` masked (name `张*明`, ID number `441900********123X`, or nothing) · `·` denied (`FORBIDDEN`, `UNAUTHENTICATED` for anonymous callers).',
    'A cell `a/b` is the caller\'s own division (for `RES` their own data, for `MER` their own shop) / another one. Division roles carry a town in the token; `ADM`, `ANA`, `FEED` reach the whole city.',
    '',
    `Roles: ${PRINCIPALS.map((p) => `\`${SHORT[p]}\` ${p}`).join(', ')}.`,
    '',
    section('Queries', TABLE.filter((r) => r.kind === 'Query')),
    section('Mutations', TABLE.filter((r) => r.kind === 'Mutation')),
    section('Personal and enterprise fields', TABLE.filter((r) => r.kind === 'Field')),
  ].join('\n');
}

export const RENDERED_PATH = path.join(__dirname, '..', 'authorization.md');

if (require.main === module) fs.writeFileSync(RENDERED_PATH, render());
