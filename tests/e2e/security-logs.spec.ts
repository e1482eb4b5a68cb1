import { SignJWT } from 'jose';
import { registry } from '@citypoints/registry';
import { captureLogs, type LogCapture } from '@citypoints/log';
import { codes, genIdNumber, ok, startCity, TEST_JWT_SECRET, TEST_SUBGRAPH_SECRET, type TestCity } from '@citypoints/test-city';
import { gauge } from './gateway-fixture';

const ID_NUMBER = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/;
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./;

describe('what the city logs', () => {
  let city: TestCity;
  let capture: LogCapture;

  beforeAll(async () => {
    // every line of the run, at debug, goes to memory; the logger is told the test's secrets as
    // a process is told its own through the environment
    capture = captureLogs({ level: 'debug', secrets: [TEST_JWT_SECRET, TEST_SUBGRAPH_SECRET] });
    city = await startCity({ modules: [registry, gauge], label: 'security_logs' });
  });
  afterAll(async () => {
    await city?.close();
    capture?.stop();
  });

  it('holds no ID number, name, token or secret, after traffic that fails in every way it can', async () => {
    const admin = await city.token('CITY_ADMIN', { sub: 'log-admin' });
    const names = ['欧阳晓明', '司马秀英', '王建国'];
    const idNumbers = names.map(() => genIdNumber());
    const tokens = [admin];
    const ids: string[] = [];
    for (let i = 0; i < names.length; i++) {
      const input = { idNumber: idNumbers[i], name: names[i], hukou: 'MIGRANT', divisionCode: '441900003001' };
      const d = ok(await city.query(`mutation($input: RegisterResidentInput!) { registerResident(input: $input) { id name } }`, { input }, admin));
      ids.push(d.registerResident.id);
    }
    // the same ID number again: a unique violation in SQL, with the number among its parameters
    const twice = await city.query(`mutation($input: RegisterResidentInput!) { registerResident(input: $input) { id } }`, { input: { idNumber: idNumbers[0], name: names[0], hukou: 'MIGRANT', divisionCode: '441900003001' } }, admin);
    expect(codes(twice).length).toBe(1);
    // lookups by ID number, by a caller allowed and one not
    const officer = await city.token('TOWN_OFFICIAL', { sub: 'log-officer', division: '441900003', purpose: 'audit' });
    const resident = await city.token('RESIDENT', { sub: ids[1] });
    tokens.push(officer, resident);
    await city.query(`query($n: String!) { residentByIdNumber(idNumber: $n) { id name } }`, { n: idNumbers[1] }, officer);
    await city.query(`query($n: String!) { residentByIdNumber(idNumber: $n) { id name } }`, { n: idNumbers[2] }, resident);
    await city.query(`query($id: ID!) { resident(id: $id) { id name } }`, { id: ids[2] }, resident);
    // SQL that fails with an ID number and a name as its parameters: an internal error
    const failing = await city.query(`mutation($n: String!, $name: String!) { gaugeFailingSql(idNumber: $n, name: $name) }`, { n: idNumbers[2], name: names[2] }, admin);
    expect(codes(failing)).toEqual(['INTERNAL_SERVER_ERROR']);
    // a token signed with another secret, one without exp, and garbage
    const key = new TextEncoder().encode('an-attacker-secret-of-enough-length-0123');
    const forged = await new SignJWT({ roles: ['CITY_ADMIN'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('forger').setExpirationTime('5m').sign(key);
    const noExp = await new SignJWT({ roles: ['CITY_ADMIN'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('no-exp').sign(new TextEncoder().encode(TEST_JWT_SECRET));
    tokens.push(forged, noExp);
    for (const t of [forged, noExp, 'not-a-token']) expect(codes(await city.query(`{ divisions { code } }`, {}, t))).toEqual(['UNAUTHENTICATED']);
    // bad input of every kind
    expect(codes(await city.query(`{ gaugeWhen(at: "yesterday") }`, {}, admin))).toEqual(['BAD_USER_INPUT']);
    await city.query(`mutation($input: RegisterResidentInput!) { registerResident(input: $input) { id } }`, { input: { idNumber: idNumbers[0].slice(0, 17) + 'Z', name: names[1], hukou: 'MIGRANT', divisionCode: '441900003001' } }, admin);
    // SQL failing below GraphQL too, as a job or a script would meet it
    await expect(city.instances.gauge.dataSource.query('SELECT $1::int, $2::int', [idNumbers[1], names[1]])).rejects.toThrow();

    const lines = capture.lines();
    // the run did log: the failed statements (by code, without values) and the internal error
    expect(lines.length).toBeGreaterThan(0);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, any>);
    const sqlFailures = parsed.filter((l) => l.msg?.startsWith('query failed'));
    // both failing statements (through GraphQL and below it), each with its SQLSTATE
    expect(sqlFailures.length).toBeGreaterThanOrEqual(2);
    for (const f of sqlFailures) expect(f.code).toMatch(/^[0-9A-Z]{5}$/);
    expect(parsed.some((l) => l.msg === 'internal error' && typeof l.requestId === 'string')).toBe(true);
    // PostgreSQL quotes the bad value in its message; the logger replaced it
    expect(lines.some((l) => l.includes('[id-number]'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toMatch(ID_NUMBER);
      expect(line).not.toMatch(JWT);
      for (const id of idNumbers) expect(line).not.toContain(id);
      for (const n of names) expect(line).not.toContain(n);
      for (const t of tokens) expect(line).not.toContain(t);
      expect(line).not.toContain(TEST_JWT_SECRET);
      expect(line).not.toContain(TEST_SUBGRAPH_SECRET);
    }
  });
});
