import { createHash } from 'node:crypto';
import { intBetween, makeIdNumber, makeUscc, pick, randomCompanyName, randomName, seededRandom } from '@citypoints/kit';

/**
 * The demo city, generated from a seed: every subgraph derives the same residents, enterprises
 * and organisations from it, so each can load its own demo data without reading another's tables.
 */
export const DEMO_TOWNS = ['441900003', '441900004', '441900110', '441900119', '441900121', '441900123'];
/** short names of the demo towns, for the names of demo schools and the like */
export const DEMO_TOWN_NAMES: Record<string, string> = {
  '441900003': '东城',
  '441900004': '南城',
  '441900110': '常平',
  '441900119': '长安',
  '441900121': '虎门',
  '441900123': '沙田',
};
/** villages seeded by registry's first migration for the demo towns */
export const DEMO_VILLAGES: Record<string, string[]> = {
  '441900003': ['441900003001', '441900003002', '441900003003', '441900003004'],
  '441900004': ['441900004001', '441900004002', '441900004003'],
  '441900110': ['441900110001', '441900110002', '441900110003'],
  '441900119': ['441900119001', '441900119002', '441900119003'],
  '441900121': ['441900121001', '441900121002', '441900121003', '441900121004'],
  '441900123': ['441900123001', '441900123002', '441900123003'],
};

export interface DemoResident {
  id: string;
  idNumber: string;
  name: string;
  birthDate: string;
  hukou: 'LOCAL' | 'MIGRANT';
  divisionCode: string;
  householdId: string | null;
}
export interface DemoEnterprise {
  uscc: string;
  name: string;
  industry: string;
  employees: number;
  divisionCode: string;
}
export interface DemoOrganisation {
  uscc: string;
  name: string;
  kind: 'CHAMBER_OF_COMMERCE' | 'INDUSTRY_ASSOCIATION' | 'PRIVATE_NON_ENTERPRISE' | 'FOUNDATION';
  divisionCode: string;
  members: string[];
}
export interface DemoPopulation {
  residents: DemoResident[];
  enterprises: DemoEnterprise[];
  organisations: DemoOrganisation[];
}

/** A UUID derived from a name (stable across runs and subgraphs). */
export function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const USCC_BODY = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const PROVINCES = ['湖南', '江西', '广西', '四川', '湖北', '河南', '潮汕', '福建'];

export function demoPopulation(seed = 20240901, counts = { residents: 3000, enterprises: 300 }): DemoPopulation {
  const rnd = seededRandom(seed);
  const residents: DemoResident[] = [];
  const usedIds = new Set<string>();
  let household = 0;
  while (residents.length < counts.residents) {
    const town = pick(rnd, DEMO_TOWNS);
    const village = pick(rnd, DEMO_VILLAGES[town]);
    const hukou = rnd() < 0.65 ? 'MIGRANT' : 'LOCAL';
    const size = Math.min(intBetween(rnd, 1, 4), counts.residents - residents.length);
    const householdId = size > 1 ? `HH${seed}-${++household}` : null;
    for (let k = 0; k < size; k++) {
      const adult = k < 2;
      const year = adult ? intBetween(rnd, 1968, 2000) : intBetween(rnd, 2008, 2019);
      const birthDate = `${year}-${String(intBetween(rnd, 1, 12)).padStart(2, '0')}-${String(intBetween(rnd, 1, 28)).padStart(2, '0')}`;
      const region = hukou === 'LOCAL' ? '441900' : pick(rnd, ['430521', '360121', '450102', '510122', '420111', '410102']);
      let idNumber = makeIdNumber(region, birthDate, intBetween(rnd, 0, 999));
      while (usedIds.has(idNumber)) idNumber = makeIdNumber(region, birthDate, intBetween(rnd, 0, 999));
      usedIds.add(idNumber);
      residents.push({ id: stableUuid(`demo-resident:${seed}:${idNumber}`), idNumber, name: randomName(rnd), birthDate, hukou, divisionCode: village, householdId });
    }
  }
  const enterprises: DemoEnterprise[] = [];
  const usedUscc = new Set<string>();
  const body = () => Array.from({ length: 9 }, () => pick(rnd, Array.from(USCC_BODY))).join('');
  while (enterprises.length < counts.enterprises) {
    const uscc = makeUscc('91', '441900', body());
    if (usedUscc.has(uscc)) continue;
    usedUscc.add(uscc);
    const { name, industry } = randomCompanyName(rnd);
    const town = pick(rnd, DEMO_TOWNS);
    enterprises.push({ uscc, name: name.replace('东莞市', `东莞市${enterprises.length}`), industry, employees: intBetween(rnd, 8, 2000), divisionCode: town });
  }
  const organisations: DemoOrganisation[] = [];
  for (let i = 0; i < PROVINCES.length + 4; i++) {
    let uscc = makeUscc('51', '441900', body());
    while (usedUscc.has(uscc)) uscc = makeUscc('51', '441900', body());
    usedUscc.add(uscc);
    const chamber = i < PROVINCES.length;
    const members = Array.from(new Set(Array.from({ length: intBetween(rnd, 5, 25) }, () => pick(rnd, enterprises).uscc)));
    organisations.push({
      uscc,
      name: chamber ? `东莞市${PROVINCES[i]}商会` : `东莞市${pick(rnd, ['电子', '模具', '家具', '物流'])}行业协会${i}`,
      kind: chamber ? 'CHAMBER_OF_COMMERCE' : 'INDUSTRY_ASSOCIATION',
      divisionCode: pick(rnd, DEMO_TOWNS),
      members,
    });
  }
  return { residents, enterprises, organisations };
}
