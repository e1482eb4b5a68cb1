import { civicOptionsFromEnv } from '../src/config';

/** The saga's bounds are options (src/config.ts), read from the environment once, never constants in the logic. */
describe('civic options', () => {
  it('defaults: a 5 s wait at the till, asked again after a minute, given up after a day', () => {
    expect(civicOptionsFromEnv({})).toEqual({ redeemWaitMs: 5_000, redeemPollMs: 500, resumeAfterMs: 60_000, giveUpAfterMs: 86_400_000 });
  });

  it('reads the environment, and what the module is given wins', () => {
    const env = { CIVIC_REDEEM_WAIT_MS: '0', CIVIC_REDEMPTION_GIVE_UP_AFTER_MS: '7200000' };
    expect(civicOptionsFromEnv(env)).toMatchObject({ redeemWaitMs: 0, giveUpAfterMs: 7_200_000 });
    expect(civicOptionsFromEnv(env, { redeemWaitMs: 20_000 })).toMatchObject({ redeemWaitMs: 20_000, giveUpAfterMs: 7_200_000 });
  });

  it('refuses a wrong value, naming the variable', () => {
    expect(() => civicOptionsFromEnv({ CIVIC_REDEEM_WAIT_MS: 'soon' })).toThrow(/CIVIC_REDEEM_WAIT_MS/);
    expect(() => civicOptionsFromEnv({ CIVIC_REDEEM_WAIT_MS: '-1' })).toThrow(/CIVIC_REDEEM_WAIT_MS/);
    // giving up before the first retry would abandon every redemption the moment it is late
    expect(() => civicOptionsFromEnv({ CIVIC_REDEMPTION_RESUME_AFTER_MS: '120000', CIVIC_REDEMPTION_GIVE_UP_AFTER_MS: '60000' })).toThrow(/CIVIC_REDEMPTION_GIVE_UP_AFTER_MS/);
  });
});
