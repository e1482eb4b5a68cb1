import type { DataSource } from 'typeorm';
import { demoPopulation } from '@citypoints/demo';
import { publish } from '@citypoints/events';
import { maskIdNumber, maskName } from '@citypoints/kit';
import type { DemoOptions } from '@citypoints/federation';
import { SCHEMA } from '../runtime';

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
      await publish(m, SCHEMA, {
        topic: 'registry.resident.registered',
        aggregateId: r.id,
        payload: { id: r.id, nameMasked: maskName(r.name), idNumberMasked: maskIdNumber(r.idNumber), birthDate: r.birthDate, hukou: r.hukou, divisionCode: r.divisionCode, householdId: r.householdId },
      });
    }
    for (const e of pop.enterprises) {
      await m.query(`INSERT INTO "${SCHEMA}".enterprises (uscc, name, division_code, industry, employees) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING`, [
        e.uscc, e.name, e.divisionCode, e.industry, e.employees,
      ]);
      await publish(m, SCHEMA, { topic: 'registry.enterprise.registered', aggregateId: e.uscc, payload: { uscc: e.uscc, name: e.name, divisionCode: e.divisionCode, industry: e.industry, employees: e.employees } });
    }
    for (const g of pop.organisations) {
      await m.query(`INSERT INTO "${SCHEMA}".social_organisations (uscc, name, kind, division_code) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING`, [g.uscc, g.name, g.kind, g.divisionCode]);
      await publish(m, SCHEMA, { topic: 'registry.organisation.registered', aggregateId: g.uscc, payload: { uscc: g.uscc, name: g.name, kind: g.kind, divisionCode: g.divisionCode } });
      for (const member of g.members) {
        await m.query(`INSERT INTO "${SCHEMA}".organisation_members (organisation_uscc, enterprise_uscc) VALUES ($1,$2) ON CONFLICT DO NOTHING`, [g.uscc, member]);
        await publish(m, SCHEMA, { topic: 'registry.membership.added', aggregateId: g.uscc, payload: { organisationUscc: g.uscc, enterpriseUscc: member, kind: g.kind } });
      }
    }
    await m.query(`INSERT INTO "${SCHEMA}".demo_seeds (seed) VALUES ($1)`, [o.seed]);
    o.log?.(`registry: demo data loaded (${pop.residents.length} residents, ${pop.enterprises.length} enterprises, ${pop.organisations.length} organisations)`);
  });
}
