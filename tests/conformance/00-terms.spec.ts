/**
 * docs/domain/00-terms.md: divisions, identifiers and masking, by the functions every subgraph uses
 * (libs/kit), and one identifier refused through the gateway.
 */
import { divisionLevelOf, isWithinDivision, maskIdNumber, maskName, makeIdNumber, makeUscc, parseIdNumber, parseUscc } from '@citypoints/kit';
import { registry } from '@citypoints/registry';
import { codes, startCity, type TestCity } from '@citypoints/test-city';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? 'THROWN';
  }
  return undefined;
};
/** the same number with a different (wrong) check character */
const wrongCheck = (s: string) => s.slice(0, 17) + (s[17] === '0' ? '1' : '0');

let city: TestCity;
beforeAll(async () => {
  city = await startCity({ modules: [registry], workers: false, label: 'conf_terms' });
});
afterAll(() => city.close());

describe('§0 Divisions', () => {
  it('the city 441900, towns with 9-digit codes directly under it, villages with 12-digit codes under a town', () => {
    expect(['441900', '441900003', '441900003001', '44190000'].map(divisionLevelOf)).toEqual(['CITY', 'TOWN', 'VILLAGE', null]);
  });

  it('"Within a division" always means the division itself or anything below it', () => {
    expect(isWithinDivision('441900003', '441900003')).toBe(true);
    expect(isWithinDivision('441900003001', '441900003')).toBe(true);
    expect(isWithinDivision('441900003001', '441900')).toBe(true);
    expect(isWithinDivision('441900121001', '441900003')).toBe(false);
    expect(isWithinDivision('441900003', '441900003001')).toBe(false);
  });
});

describe('§0 Identifiers', () => {
  it('The check character of an ID number (GB 11643) is verified on every input; a wrong one is BAD_USER_INPUT', () => {
    const id = makeIdNumber('441900', '1990-05-17', 123);
    expect(parseIdNumber(id)).toMatchObject({ idNumber: id, birthDate: '1990-05-17' });
    expect(codeOf(() => parseIdNumber(wrongCheck(id)))).toBe('BAD_USER_INPUT');
  });

  it('The check character of a USCC (GB 32100) is verified on every input; a wrong one is BAD_USER_INPUT', () => {
    const uscc = makeUscc('91', '441900', 'MA4UQ2T81');
    expect(parseUscc(uscc)).toBe(uscc);
    expect(codeOf(() => parseUscc(wrongCheck(uscc)))).toBe('BAD_USER_INPUT');
  });

  it('… on every input: registering a resident with a wrong check character through the gateway is BAD_USER_INPUT', async () => {
    const admin = await city.token('CITY_ADMIN', { sub: 'conf-admin' });
    const good = makeIdNumber('441900', '1990-05-17', 124);
    const register = (idNumber: string) =>
      city.query(`mutation($i: RegisterResidentInput!) { registerResident(input: $i) { id } }`, { i: { idNumber, name: '王小明', divisionCode: '441900003001', hukou: 'MIGRANT' } }, admin);
    expect(codes(await register(wrongCheck(good)))).toEqual(['BAD_USER_INPUT']);
    // the same input with the right check character is taken
    expect(codes(await register(good))).toEqual([]);
  });
});

describe('§0 Masking', () => {
  it('a name keeps its first and last character and puts one * for each character between them; a two-character name keeps only the first', () => {
    expect(maskName('张三明')).toBe('张*明');
    expect(maskName('欧阳小明')).toBe('欧**明');
    expect(maskName('李四')).toBe('李*');
  });

  it('an ID number keeps its first 6 and last 4 characters with 8 * in between', () => {
    const id = makeIdNumber('441900', '1990-05-17', 123);
    expect(maskIdNumber(id)).toBe(`441900********${id.slice(14)}`);
  });
});
