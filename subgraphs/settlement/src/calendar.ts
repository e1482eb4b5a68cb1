import type { EntityManager } from 'typeorm';
import { loadCalendar, type WorkingDayCalendar } from '@citypoints/calendar';
import { SCHEMA } from './context';
import type { SettlementRuntime } from './runtime';

/**
 * The working-day calendar as settlement's tables hold it now (libs/calendar). A computation that
 * reaches a year without a calendar throws; the miss is counted on the runtime and logged.
 */
export function workingDays(rt: SettlementRuntime, m: Pick<EntityManager, 'query'>): Promise<WorkingDayCalendar> {
  return loadCalendar(m, SCHEMA, {
    onMissingYear: (year) => {
      rt.metrics.calendarMissing[year] = (rt.metrics.calendarMissing[year] ?? 0) + 1;
      rt.log(`settlement: a working-day computation reached ${year}, which has no calendar`);
    },
  });
}
