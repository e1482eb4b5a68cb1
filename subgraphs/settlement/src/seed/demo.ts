import { demoPopulation, DEMO_TOWN_NAMES, DEMO_TOWNS, stableUuid } from '@citypoints/demo';
import type { DemoOptions } from '@citypoints/federation';
import { ageOn, cityDate, intBetween, maskName, pick, seededRandom } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { SettlementRuntime } from '../runtime';
import { scoreSchoolLines } from '../admission/application.service';
import type { IndicatorState } from '../schemes/engine';
import { scoreApplication } from '../schemes/engine';
import { requireSchemeInForce } from '../schemes/scheme.service';
import { workingDays } from '../calendar';
import { loadProcedure, scheduleStages } from '../household/procedure';
import { SchemeKind } from '../schemes/scheme.type';

const SCHOOL_NAMES = ['第一小学', '实验学校', '中心小学', '第二中学', '外国语学校', '新城学校'];

function hukouIndicators(rnd: () => number): IndicatorState[] {
  const v = (code: string, value: string): IndicatorState => ({ code, claimed: value, verified: value, status: 'VERIFIED' });
  return [
    v('EDUCATION', pick(rnd, ['HIGH_SCHOOL', 'COLLEGE', 'BACHELOR_OR_ABOVE'])),
    v('CITY_YEARS', String(intBetween(rnd, 1, 12))),
    v('SOCIAL_INSURANCE_TYPE_YEARS', String(intBetween(rnd, 0, 40))),
    v('APPLY_TOWN_CLASS', pick(rnd, ['A', 'B', 'C'])),
  ];
}

function demoIndicators(rnd: () => number): IndicatorState[] {
  const v = (code: string, value: string): IndicatorState => ({ code, claimed: value, verified: value, status: 'VERIFIED' });
  return [
    v('EDUCATION', pick(rnd, ['HIGH_SCHOOL_OR_BELOW', 'COLLEGE', 'BACHELOR', 'MASTER_OR_ABOVE'])),
    v('WORK_YEARS', String(intBetween(rnd, 1, 15))),
    v('RESIDENCE_YEARS', String(intBetween(rnd, 1, 15))),
    v('SOCIAL_INSURANCE_TYPE_YEARS', String(intBetween(rnd, 0, 50))),
    v('SALARY_TAX_3Y', String(intBetween(rnd, 0, 8000))),
    v('HOME_OWNERSHIP', pick(rnd, ['NONE', 'NONE', 'UP_TO_5_YEARS', 'OVER_5_YEARS'])),
    v('FAMILY_PLANNING_COMPLIANT', rnd() < 0.9 ? 'true' : 'false'),
    v('RESIDENCE_PERMIT', 'true'),
    v('SOCIAL_INSURANCE', 'true'),
  ];
}

/**
 * The demo city's settlement data, derived from the same population registry loads (stable ids):
 * the resident projection (so nothing waits for events), schools with seats in the demo towns,
 * verified school applications of migrant families' children, a talent-card quota with a few
 * cards, and household applications with their procedure stages.
 */
export async function seedSettlementDemo(rt: SettlementRuntime, o: DemoOptions): Promise<void> {
  const { ds, clock } = rt;
  const pop = demoPopulation(o.seed);
  const rnd = seededRandom(o.seed ^ 0x5e771e);
  const today = cityDate(clock.now());
  const thisYear = Number(today.slice(0, 4));
  const year = today.slice(5) >= '06-01' ? thisYear + 1 : thisYear;
  await ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['settlement-demo']);
    if ((await m.query(`SELECT 1 FROM "${SCHEMA}".demo_seeds WHERE seed = $1`, [o.seed])).length) {
      o.log?.(`settlement: demo data of seed ${o.seed} already loaded`);
      return;
    }
    const r = pop.residents;
    await m.query(
      `INSERT INTO "${SCHEMA}".residents (id, name_masked, birth_date, division_code, household_id, hukou)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[]) ON CONFLICT (id) DO NOTHING`,
      [r.map((x) => x.id), r.map((x) => maskName(x.name)), r.map((x) => x.birthDate), r.map((x) => x.divisionCode), r.map((x) => x.householdId), r.map((x) => x.hukou)],
    );
    const schoolsByTown = new Map<string, string[]>();
    for (const town of DEMO_TOWNS) {
      const ids: string[] = [];
      for (let k = 0; k < 3; k++) {
        const id = stableUuid(`demo-school:${o.seed}:${town}:${k}`);
        await m.query(`INSERT INTO "${SCHEMA}".schools (id, name, town_code) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [id, `${DEMO_TOWN_NAMES[town] ?? town.slice(6)}${SCHOOL_NAMES[(k + Number(town.slice(6))) % SCHOOL_NAMES.length]}`, town]);
        for (const grade of ['PRIMARY_1', 'JUNIOR_1']) {
          await m.query(`INSERT INTO "${SCHEMA}".school_seats (school_id, year, grade, seats) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [id, year, grade, intBetween(rnd, 5, 15)]);
        }
        ids.push(id);
      }
      schoolsByTown.set(town, ids);
    }
    const scheme = await requireSchemeInForce(m, SchemeKind.SCHOOL_ADMISSION, year);
    const households = new Map<string, typeof r>();
    for (const x of r) if (x.householdId) households.set(x.householdId, [...(households.get(x.householdId) ?? []), x]);
    let applications = 0;
    for (const members of households.values()) {
      const parent = members.find((x) => x.hukou === 'MIGRANT' && ageOn(x.birthDate, today) >= 22);
      if (!parent) continue;
      for (const child of members) {
        const age = ageOn(child.birthDate, `${year}-09-01`);
        const grade = age === 6 || age === 7 ? 'PRIMARY_1' : age === 12 || age === 13 ? 'JUNIOR_1' : null;
        if (!grade) continue;
        const town = parent.divisionCode.slice(0, 9);
        const prefs = [...(schoolsByTown.get(town) ?? [])].sort(() => rnd() - 0.5).slice(0, intBetween(rnd, 1, 3));
        const lines = demoIndicators(rnd);
        const s = scoreSchoolLines(scheme.definition, lines);
        await m.query(
          `INSERT INTO "${SCHEMA}".school_applications
            (application_no, year, grade, town_code, parent_id, child_name, child_id_number, scheme_id, status, preferences, indicators, breakdown, total, tie1, tie2, priority_claim, submitted_at, unmet_conditions)
           VALUES ('SA' || $1::int || '-' || lpad(nextval('"${SCHEMA}".application_seq')::text, 7, '0'), $1, $2, $3, $4, $5, $6, $7, 'VERIFIED', $8::uuid[], $9::jsonb, $10::jsonb, $11, $12, $13, false, $14, $15)
           ON CONFLICT DO NOTHING`,
          [year, grade, town, parent.id, child.name, child.idNumber, scheme.id, prefs, JSON.stringify(lines), JSON.stringify(s.breakdown), s.total, s.tie1, s.tie2, clock.now(), s.unmet],
        );
        applications++;
      }
    }
    await m.query(`INSERT INTO "${SCHEMA}".talent_quotas (year, total, set_by) VALUES ($1, 200, 'demo') ON CONFLICT DO NOTHING`, [year]);
    const adults = r.filter((x) => x.hukou === 'MIGRANT' && ageOn(x.birthDate, today) >= 22);
    const categories = ['INVESTMENT_TAX', 'ACADEMIC_SKILL', 'ENTERPRISE_RECOMMENDED', 'ACADEMIC_SKILL', 'ENTERPRISE_RECOMMENDED'];
    for (let k = 0; k < 10 && k * 7 < adults.length; k++) {
      await m.query(
        `INSERT INTO "${SCHEMA}".talent_cards (card_no, holder_id, category, year, status, benefits, issued_at, issued_by)
         SELECT 'TC' || $3::int || '-' || lpad(nextval('"${SCHEMA}".application_seq')::text, 7, '0'), $1, $2, $3, 'ISSUED',
                COALESCE((SELECT array_agg(code ORDER BY code) FROM "${SCHEMA}".talent_benefits), '{}'), $4, 'demo'
         ON CONFLICT DO NOTHING`,
        [adults[k * 7].id, categories[k % categories.length], year, clock.now()],
      );
    }
    const hukou = await requireSchemeInForce(m, SchemeKind.HOUSEHOLD_REGISTRATION, thisYear);
    const due = scheduleStages(await loadProcedure(m), today, new Map(), await workingDays(rt, m));
    let householdApplications = 0;
    for (const a of adults.filter((_, k) => k % 25 === 3)) {
      const lines = hukouIndicators(rnd);
      const b = scoreApplication(hukou.definition, lines, { birthDate: a.birthDate, onDay: today });
      const eligible = b.total >= (hukou.definition.threshold ?? Infinity);
      const no: { application_no: string }[] = await m.query(
        `INSERT INTO "${SCHEMA}".household_applications
          (application_no, applicant_id, town_code, scheme_id, status, conditions_claimed, conditions_verified, conditions_reviewed, indicators, breakdown, total, eligible, submitted_on, submitted_at)
         VALUES ('HA' || $10::text || '-' || lpad(nextval('"${SCHEMA}".application_seq')::text, 7, '0'), $1, $2, $3, $4, '{}', '{}', true, $5::jsonb, $6::jsonb, $7, $8, $9, $11)
         RETURNING application_no`,
        [a.id, a.divisionCode.slice(0, 9), hukou.id, eligible ? 'ELIGIBLE' : 'INELIGIBLE', JSON.stringify(lines), JSON.stringify(b), b.total, eligible, today, today.slice(0, 4), clock.now()],
      );
      await m.query(
        `INSERT INTO "${SCHEMA}".household_stages (application_no, seq, stage, office, due_date) SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::date[])`,
        [no[0].application_no, due.map((d) => d.stage.seq), due.map((d) => d.stage.stage), due.map((d) => d.stage.office), due.map((d) => d.due)],
      );
      householdApplications++;
    }
    await m.query(`INSERT INTO "${SCHEMA}".demo_seeds (seed) VALUES ($1)`, [o.seed]);
    o.log?.(`settlement: demo data loaded (${DEMO_TOWNS.length * 3} schools, ${applications} school applications for ${year}, ${householdApplications} household applications, talent cards)`);
  });
}
