import { administratorAward, canMoveNeed, NEED_TRANSITIONS, NeedStatus, nextStarAt, serviceAward, starsFor, type Scheme } from '@citypoints/volunteering';

const scheme: Scheme = {
  code: 'VOL-TIMEBANK',
  version: 1,
  effectiveFrom: new Date('2000-01-01T00:00:00Z'),
  rules: { pointsPerHour: 10, maxCreditedHoursPerService: 8, starThresholds: [100, 300, 600, 1000, 1500], pointValidityMonths: 36, autoConfirmHours: 72, backupGraceMinutes: 30 },
};

describe('time-bank rules', () => {
  it('credits at most 8 hours per service at 10 points an hour, plus the escrow, line by line', () => {
    const a = serviceAward(scheme, 10, 50);
    expect(a).toMatchObject({ schemeVersion: 1, reportedHours: 10, creditedHours: 8, points: 80, escrowPoints: 50 });
    expect(a.lines).toEqual([
      { label: 'reported hours', value: 10 },
      { label: 'credited hours', value: 8, note: 'capped at 8 hours per service' },
      { label: 'service points', value: 80, note: '10 points per credited hour' },
      { label: 'escrowed points from the requester', value: 50 },
      { label: 'total points', value: 130 },
    ]);
    expect(serviceAward(scheme, 2.25, 0)).toMatchObject({ creditedHours: 2.25, points: 22 });
    expect(serviceAward(scheme, 8, 0).lines[1]).toEqual({ label: 'credited hours', value: 8 });
  });

  it('follows the scheme data, not constants', () => {
    const other: Scheme = { ...scheme, version: 2, rules: { ...scheme.rules, pointsPerHour: 12, maxCreditedHoursPerService: 6 } };
    expect(serviceAward(other, 10, 0)).toMatchObject({ schemeVersion: 2, creditedHours: 6, points: 72 });
  });

  it('gives administrator-entered hours for stars and no points', () => {
    expect(administratorAward(scheme, 92)).toMatchObject({ creditedHours: 92, points: 0 });
  });

  it('counts stars at 100, 300, 600, 1,000 and 1,500 lifetime hours', () => {
    const cases: [number, number, number | null][] = [
      [0, 0, 100],
      [99.99, 0, 100],
      [100, 1, 300],
      [299.5, 1, 300],
      [300, 2, 600],
      [600, 3, 1000],
      [1000, 4, 1500],
      [1499, 4, 1500],
      [1500, 5, null],
      [9000, 5, null],
    ];
    for (const [hours, stars, next] of cases) {
      expect([hours, starsFor(scheme.rules, hours), nextStarAt(scheme.rules, hours)]).toEqual([hours, stars, next]);
    }
  });

  it('moves a need only along the status machine', () => {
    const S = NeedStatus;
    expect(canMoveNeed(S.OPEN, S.TAKEN)).toBe(true);
    expect(canMoveNeed(S.OPEN, S.COMPLETED)).toBe(false);
    expect(canMoveNeed(S.TAKEN, S.CONFIRMED)).toBe(false);
    expect(canMoveNeed(S.IN_SERVICE, S.CANCELLED)).toBe(false);
    expect(canMoveNeed(S.COMPLETED, S.CONFIRMED)).toBe(true);
    for (const final of [S.CONFIRMED, S.CANCELLED, S.EXPIRED]) expect(NEED_TRANSITIONS[final]).toEqual([]);
  });
});
