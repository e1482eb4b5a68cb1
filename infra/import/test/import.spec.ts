import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@citypoints/db';
import { systemClock } from '@citypoints/kit';
import { registry } from '@citypoints/registry';
import { enterpriseCredit } from '@citypoints/enterprise-credit';
import { eventually, genIdNumber, genUscc, testQueueConnection } from '@citypoints/testing';
import { runImport } from '../import';
import { CsvParser } from '../csv';

/** The bulk feeds: a small CSV with good and bad rows, through the API's validation, twice. */
describe('npm run import', () => {
  let db: TestDatabase;
  let dir: string;
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const opts = () => ({ databaseUrl: db.url, queue: testQueueConnection(db.url), queuePrefix: `imp${process.pid}` });
  /** the rejects file's records, each as "line,reason" followed by the row's own fields */
  const rejectsOf = (file: string) => {
    const p = new CsvParser();
    return p.push(fs.readFileSync(file, 'utf8')).concat(p.end()).map((r) => r.fields);
  };
  const sql = async <T>(text: string, params: unknown[] = []): Promise<T[]> => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase('import');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-'));
  });
  afterAll(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads quoted fields, doubled quotes, line breaks inside quotes and CRLF across chunk boundaries', () => {
    const text = 'a,b\r\n"x, y","say ""hi"""\r\n"two\nlines",z\n\nlast,row';
    const p = new CsvParser();
    const out = [...text].flatMap((c) => p.push(c)).concat(p.end());
    expect(out).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['two\nlines', 'z'] },
      { line: 6, fields: ['last', 'row'] },
    ]);
  });

  it('imports residents through the API, names each bad row and its reason, and imports nothing twice on a re-run', async () => {
    const good = [genIdNumber(), genIdNumber(), genIdNumber()];
    const bad = good[0].slice(0, 17) + (good[0][17] === '0' ? '1' : '0');
    const file = write(
      'residents.csv',
      [
        'idNumber,name,hukou,divisionCode',
        `${good[0]},张三明,MIGRANT,441900003001`,
        `${bad},李四,MIGRANT,441900003001`,
        `${good[1]},"王,五",LOCAL,441900003001`,
        `${good[2]},赵六,NOMAD,441900003001`,
        `${genIdNumber()},钱七,MIGRANT,999999999999`,
        `${genIdNumber()},孙八`,
      ].join('\n') + '\n',
    );
    const first = await runImport({ ...opts(), kind: 'residents', file, batchSize: 4 });
    expect(first).toMatchObject({ rows: 6, accepted: 2, alreadyPresent: 0, rejected: 4 });
    const rejects = rejectsOf(first.rejectsFile);
    expect(rejects[0]).toEqual(['line', 'reason', 'idNumber', 'name', 'hukou', 'divisionCode']);
    expect(rejects.slice(1).map((r) => `${r[0]},${r[1]}`)).toEqual([
      expect.stringMatching(/^3,BAD_USER_INPUT: /),
      expect.stringMatching(/^5,BAD_USER_INPUT: hukou: invalid value "NOMAD"/),
      expect.stringMatching(/^6,(BAD_USER_INPUT|NOT_FOUND): /),
      '7,BAD_USER_INPUT: 2 fields where the header has 4',
    ]);
    expect(rejects[1].slice(2)).toEqual([bad, '李四', 'MIGRANT', '441900003001']);
    const stored = await sql<{ name: string }>(`SELECT name FROM registry.residents WHERE id_number = ANY($1) ORDER BY name`, [good]);
    expect(stored.map((r) => r.name).sort()).toEqual(['张三明', '王,五'].sort());

    const again = await runImport({ ...opts(), kind: 'residents', file, batchSize: 4 });
    expect(again).toMatchObject({ rows: 6, accepted: 0, alreadyPresent: 2, rejected: 4 });
    expect((await sql<{ n: number }>(`SELECT count(*)::int AS n FROM registry.residents`))[0].n).toBe(2);
  });

  it('imports labour indicators as a department, a bad row refused without its batch', async () => {
    const usccs = [genUscc(), genUscc()];
    const enterprises = write('enterprises.csv', 'uscc,name,divisionCode,employees\n' + usccs.map((u, i) => `${u},东莞市导入${i}电子有限公司,441900003,${50 + i}`).join('\n') + '\n');
    expect(await runImport({ ...opts(), kind: 'enterprises', file: enterprises })).toMatchObject({ rows: 2, accepted: 2, rejected: 0 });
    // enterprise-credit learns of the enterprises from registry's events, relayed by the workers;
    // it declares its subscription when created, so before registry's relay runs (as `npm start` creates every subgraph first)
    const instances = [];
    for (const m of [enterpriseCredit, registry]) {
      const inst = await m.create({ ...opts(), clock: systemClock });
      instances.push(inst);
      await inst.startWorkers();
    }
    try {
      await eventually(async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM enterprise_credit.enterprises WHERE uscc = ANY($1)`, [usccs]))[0].n === 2);
    } finally {
      for (const i of instances.reverse()) await i.close();
    }
    const head = 'uscc,period,wageArrearsDays,workersOwed,arrearsAmount,payCycleDays,rentArrearsMonths,electricityRatio,socialInsuranceArrearsMonths,taxArrearsMonths,petitions,groupIncident,source';
    const file = write(
      'labour.csv',
      [head, `${usccs[0]},2026-10,45,60,120000,40,2,0.4,1,0,3,false,tax`, `${usccs[1]},2026-10,0,0,0,30,0,1.1,0,0,0,false,tax`, `${usccs[1]},2026-13,0,0,0,30,0,1.1,0,0,0,false,tax`, `${usccs[0]},2026-10,x,0,0,30,0,1,0,0,0,false,tax`].join('\n'),
    );
    await expect(runImport({ ...opts(), kind: 'labour', file })).rejects.toThrow(/--department/);
    const first = await runImport({ ...opts(), kind: 'labour', file, department: 'tax' });
    expect(first).toMatchObject({ rows: 4, accepted: 2, rejected: 2 });
    const rejects = rejectsOf(first.rejectsFile);
    expect(rejects[1].slice(0, 2)).toEqual(['4', expect.stringMatching(/^BAD_USER_INPUT: /)]);
    expect(rejects[2].slice(0, 2)).toEqual(['5', 'BAD_USER_INPUT: wageArrearsDays must be a whole number, not "x"']);
    const count = async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM enterprise_credit.labour_reports`))[0].n;
    const reports = await count();
    expect(reports).toBe(2);
    expect(await runImport({ ...opts(), kind: 'labour', file, department: 'tax' })).toMatchObject({ rows: 4, accepted: 2, rejected: 2 });
    expect(await count()).toBe(reports);
  });
});
