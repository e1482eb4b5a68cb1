import type { DataSource } from 'typeorm';
import { demoPopulation } from '@citypoints/demo';
import type { DemoOptions } from '@citypoints/federation';
import { SCHEMA } from '../runtime';
import { enterpriseRegistered, membershipAdded, organisationRegistered, residentRegistered } from '../events/registry.facts';

/** Loads the demo population once per seed; each row's event goes through the outbox as usual. */
export async function seedRegistryDemo(ds: DataSource, o: DemoOptions): Promise<void> {
  const pop = demoPopulation(o.seed);
  await ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['registry-demo']);
    const done = await m.query(`SELECT 1 FROM "${SCHEMA}".demo_seeds WHERE seed = $1`, [o.seed]);
    if (done.length) {
      o.log?.(`registry: demo data of seed ${o.seed} already loaded`);
      return;
    }
    for (const r of pop.residents) {
      await m.query(
        `INSERT INTO "${SCHEMA}".residents (id, id_number, name, birth_date, hukou, division_code, household_id) VALUES ($1,$2,$3,$4,$5,$6,$7)
         ON CONFLICT DO NOTHING`,
        [r.id, r.idNumber, r.name, r.birthDate, r.hukou, r.divisionCode, r.householdId],
      );
      await residentRegistered(m, r);
    }
    for (const e of pop.enterprises) {
      await m.query(`INSERT INTO "${SCHEMA}".enterprises (uscc, name, division_code, industry, employees) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING`, [
        e.uscc, e.name, e.divisionCode, e.industry, e.employees,
      ]);
      await enterpriseRegistered(m, { uscc: e.uscc, name: e.name, divisionCode: e.divisionCode, industry: e.industry, employees: e.employees });
    }
    for (const g of pop.organisations) {
      await m.query(`INSERT INTO "${SCHEMA}".social_organisations (uscc, name, kind, division_code) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING`, [g.uscc, g.name, g.kind, g.divisionCode]);
      await organisationRegistered(m, { uscc: g.uscc, name: g.name, kind: g.kind, divisionCode: g.divisionCode });
      for (const member of g.members) {
        await m.query(`INSERT INTO "${SCHEMA}".organisation_members (organisation_uscc, enterprise_uscc) VALUES ($1,$2) ON CONFLICT DO NOTHING`, [g.uscc, member]);
        await membershipAdded(m, g, member);
      }
    }
    await m.query(`INSERT INTO "${SCHEMA}".demo_seeds (seed) VALUES ($1)`, [o.seed]);
    o.log?.(`registry: demo data loaded (${pop.residents.length} residents, ${pop.enterprises.length} enterprises, ${pop.organisations.length} organisations)`);
  });
}
