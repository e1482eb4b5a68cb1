import { randomInt } from 'node:crypto';
import { randomName, seededRandom } from '@citypoints/kit';
import type { Role } from '@citypoints/auth';
import { ok, type GraphQLResponse } from './graphql-client';
import type { TokenClaims } from './tokens';
import { genIdNumber, genUscc } from './identity';

const rnd = seededRandom(randomInt(1, 2 ** 31));

export interface ResidentInput {
  idNumber: string;
  name: string;
  hukou: 'LOCAL' | 'MIGRANT';
  divisionCode: string;
  householdId?: string | null;
}

/** Defaults: a migrant resident of 主山社区 (东城街道) with a valid, random ID number. */
export const residentInput = (o: Partial<ResidentInput> & { birthDate?: string } = {}): ResidentInput => ({
  idNumber: o.idNumber ?? genIdNumber({ birthDate: o.birthDate }),
  name: o.name ?? randomName(rnd),
  hukou: o.hukou ?? 'MIGRANT',
  divisionCode: o.divisionCode ?? '441900003001',
  householdId: o.householdId,
});

export interface EnterpriseInput {
  uscc: string;
  name: string;
  divisionCode: string;
  industry?: string;
  employees?: number;
}

export const enterpriseInput = (o: Partial<EnterpriseInput> = {}): EnterpriseInput => ({
  uscc: o.uscc ?? genUscc(),
  name: o.name ?? `东莞市测试${randomInt(1, 1e9)}电子有限公司`,
  divisionCode: o.divisionCode ?? '441900003',
  industry: o.industry ?? '电子',
  employees: o.employees ?? 120,
});

const calmLabourMonth = {
  wageArrearsDays: 0,
  workersOwed: 0,
  arrearsAmount: 0,
  payCycleDays: 30,
  rentArrearsMonths: 0,
  electricityRatio: 1,
  socialInsuranceArrearsMonths: 0,
  taxArrearsMonths: 0,
  petitions: 0,
  groupIncident: false,
};
/** A month's labour-relations indicators of an enterprise, as `reportLabourIndicators` takes them. */
export type LabourIndicators = typeof calmLabourMonth;
/** A month with nothing to report: every labour indicator at its calm value (no band gives it points). */
export const CALM_LABOUR_MONTH: Readonly<LabourIndicators> = Object.freeze(calmLabourMonth);

/** One report of `reportLabourIndicators`: a calm month of the enterprise but for the indicators given (source `hr` unless told). */
export const labourReport = (uscc: string, period: string, o: Partial<LabourIndicators> & { source?: string } = {}) => ({ uscc, period, source: 'hr', ...CALM_LABOUR_MONTH, ...o });

/**
 * Registers test data through the gateway with a city admin's token, as a clerk would:
 * `const r = await seed(city).resident({ hukou: 'MIGRANT' })`.
 */
/** What the builders need of a running city: GraphQL through its gateway, and tokens. */
export interface CityClient {
  query<T = Record<string, any>>(q: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  token(roles: Role | Role[], claims?: TokenClaims): Promise<string>;
}

export function seed(city: CityClient) {
  const admin = () => city.token('CITY_ADMIN', { sub: 'test-admin' });
  return {
    async resident(o: Partial<ResidentInput> & { birthDate?: string } = {}) {
      const input = residentInput(o);
      const d = ok(await city.query<{ registerResident: { id: string } }>(`mutation($input: RegisterResidentInput!) { registerResident(input: $input) { id } }`, { input }, await admin()));
      return { ...input, id: d.registerResident.id };
    },
    async enterprise(o: Partial<EnterpriseInput> = {}) {
      const input = enterpriseInput(o);
      ok(await city.query(`mutation($input: RegisterEnterpriseInput!) { registerEnterprise(input: $input) { uscc } }`, { input }, await admin()));
      return input;
    },
    async organisation(o: { uscc?: string; name?: string; kind?: string; divisionCode?: string; members?: string[] } = {}) {
      const input = { uscc: o.uscc ?? genUscc('51'), name: o.name ?? `东莞市测试商会${randomInt(1, 1e9)}`, kind: o.kind ?? 'CHAMBER_OF_COMMERCE', divisionCode: o.divisionCode ?? '441900003' };
      const token = await admin();
      ok(await city.query(`mutation($input: RegisterSocialOrganisationInput!) { registerSocialOrganisation(input: $input) { uscc } }`, { input }, token));
      for (const m of o.members ?? []) {
        ok(await city.query(`mutation($o: ID!, $e: ID!) { addOrganisationMember(organisationUscc: $o, enterpriseUscc: $e) { uscc } }`, { o: input.uscc, e: m }, token));
      }
      return input;
    },
  };
}

/** Waits until fn returns a truthy value (events and jobs arrive asynchronously); throws after the timeout. */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? ': ' + String(last) : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
