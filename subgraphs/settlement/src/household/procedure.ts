import { CalendarMissingError, type WorkingDayCalendar } from '@citypoints/calendar';
import { addDays, addMonths, type Queryable as Q } from '@citypoints/kit';
import { SCHEMA } from '../context';

export interface ProcedureStage {
  seq: number;
  stage: string;
  amount: number;
  unit: 'WORKING_DAYS' | 'CALENDAR_DAYS' | 'MONTHS';
  office: string;
}

export interface ScheduledStage {
  stage: ProcedureStage;
  /** null: projected past the years the calendar holds, not known yet */
  due: string | null;
}

function allowance(s: ProcedureStage, from: string, cal: WorkingDayCalendar): string {
  return s.unit === 'WORKING_DAYS' ? cal.addWorkingDays(from, s.amount) : s.unit === 'CALENDAR_DAYS' ? addDays(from, s.amount) : addMonths(from, s.amount);
}

/**
 * Each stage is due its allowance after the day the previous stage completed (the first after
 * submission). A stage whose previous stage is still open is due its allowance after that stage's
 * own due date — a projection, moved when the previous stage completes. Working days come from the
 * calendar: the due date of a stage whose start is known must be computed (a year without a
 * calendar fails), while a projection reaching such a year is left unknown (null), as are those
 * after it.
 */
export function scheduleStages(stages: ProcedureStage[], submittedOn: string, completedOn: ReadonlyMap<number, string>, cal: WorkingDayCalendar): ScheduledStage[] {
  let from: string | null = submittedOn;
  let known = true;
  return stages.map((s) => {
    let due: string | null = null;
    if (from !== null) {
      try {
        due = allowance(s, from, cal);
      } catch (e) {
        if (known || !(e instanceof CalendarMissingError)) throw e;
      }
    }
    const done = completedOn.get(s.seq);
    if (done) {
      from = done;
      known = true;
    } else {
      from = due;
      known = false;
    }
    return { stage: s, due };
  });
}

export async function loadProcedure(m: Q): Promise<ProcedureStage[]> {
  return m.query(`SELECT seq, stage, amount, unit, office FROM "${SCHEMA}".hukou_procedure ORDER BY seq`);
}
