import type { EntityManager } from 'typeorm';
import { addDays, addMonths, addWorkingDays } from '@citypoints/kit';
import { SCHEMA } from '../context';

type Q = Pick<EntityManager, 'query'>;

export interface ProcedureStage {
  seq: number;
  stage: string;
  amount: number;
  unit: 'WORKING_DAYS' | 'CALENDAR_DAYS' | 'MONTHS';
  office: string;
}

/** Each stage is due its allowance after the previous stage's due date, the first after submission. */
export function stageDueDates(stages: ProcedureStage[], submittedOn: string, holidays: ReadonlySet<string>): { stage: ProcedureStage; due: string }[] {
  let day = submittedOn;
  return stages.map((s) => {
    day = s.unit === 'WORKING_DAYS' ? addWorkingDays(day, s.amount, holidays) : s.unit === 'CALENDAR_DAYS' ? addDays(day, s.amount) : addMonths(day, s.amount);
    return { stage: s, due: day };
  });
}

export async function loadProcedure(m: Q, from: string): Promise<{ stages: ProcedureStage[]; holidays: Set<string> }> {
  const stages: ProcedureStage[] = await m.query(`SELECT seq, stage, amount, unit, office FROM "${SCHEMA}".hukou_procedure ORDER BY seq`);
  const holidays: { day: string }[] = await m.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day FROM "${SCHEMA}".holidays WHERE day >= $1::date`, [from]);
  return { stages, holidays: new Set(holidays.map((h) => h.day)) };
}
