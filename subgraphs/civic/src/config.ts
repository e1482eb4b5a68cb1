import { z } from 'zod';
import { HOUR } from '@citypoints/kit';

/** How long a redemption stays pending before the recovery job asks volunteering again (the default of `resumeAfterMs`). */
export const RESUME_AFTER_MS = 60_000;
/** How long a redemption may stay pending before civic gives it up (the default of `giveUpAfterMs`). */
export const GIVE_UP_AFTER_MS = 24 * HOUR;

/**
 * Tunables of the volunteer-points saga (docs/domain/08-volunteering.md); defaults suit
 * production, tests shrink or stretch them through `civicModule(overrides)`.
 */
export interface CivicOptions {
  /**
   * How long a redeem of VOLUNTEER items may take, reservation included, waiting for
   * volunteering's decision before it answers PENDING (a merchant at the till wants the outcome).
   * Wall time: it bounds the caller's wait, not a span of the city's calendar. 0 answers PENDING
   * at once.
   */
  redeemWaitMs: number;
  /** while it waits, how often the redemption is read again in case a notification was missed */
  redeemPollMs: number;
  /** a redemption pending this long (by the runtime's clock) is asked for again by the recovery job */
  resumeAfterMs: number;
  /**
   * a redemption pending this long since it was reserved (by the runtime's clock) is given up:
   * the recovery job asks volunteering to cancel it instead of asking for the points again
   */
  giveUpAfterMs: number;
}

const EnvOptions = z.object({
  CIVIC_REDEEM_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  CIVIC_REDEEM_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  CIVIC_REDEMPTION_RESUME_AFTER_MS: z.coerce.number().int().min(1_000).default(RESUME_AFTER_MS),
  CIVIC_REDEMPTION_GIVE_UP_AFTER_MS: z.coerce.number().int().min(60_000).default(GIVE_UP_AFTER_MS),
});

/**
 * Reads the options from the environment once; a wrong value stops with the variable's name.
 * Options given in `given` win over the environment.
 */
export function civicOptionsFromEnv(source: Record<string, string | undefined> = process.env, given: Partial<CivicOptions> = {}): CivicOptions {
  const parsed = EnvOptions.safeParse(source);
  if (!parsed.success) throw new Error('invalid environment:\n' + parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n'));
  const e = parsed.data;
  const options: CivicOptions = {
    redeemWaitMs: e.CIVIC_REDEEM_WAIT_MS,
    redeemPollMs: e.CIVIC_REDEEM_POLL_MS,
    resumeAfterMs: e.CIVIC_REDEMPTION_RESUME_AFTER_MS,
    giveUpAfterMs: e.CIVIC_REDEMPTION_GIVE_UP_AFTER_MS,
    ...given,
  };
  if (options.giveUpAfterMs <= options.resumeAfterMs) throw new Error('invalid environment:\n  CIVIC_REDEMPTION_GIVE_UP_AFTER_MS: must exceed CIVIC_REDEMPTION_RESUME_AFTER_MS');
  return options;
}
