import { blacklistingRemovedAt, isRepairLift, REPAIR_PAIRING_MS, type StatusTurn } from '../src/member-effects/blacklisting.rules';

const at = (iso: string) => new Date(iso);
const turn = (previous: string | null, status: string, changedAt: string, cause: string | null = null, eventAt = changedAt): StatusTurn => ({
  previous,
  status,
  changedAt: at(changedAt),
  cause,
  eventAt: at(eventAt),
});

describe('docs/domain/07-social-organisations.md: a blacklisting line goes only when a repair lifts it', () => {
  const black = turn('NORMAL', 'BLACK', '2034-02-01T00:00:00Z');

  it('keeps the line while the member stays BLACK', () => {
    expect(blacklistingRemovedAt(black, [black], [])).toBeNull();
  });

  it('removes the line at a lift whose cause is REPAIR', () => {
    const lift = turn('BLACK', 'NORMAL', '2034-05-01T00:00:00Z', 'REPAIR');
    expect(blacklistingRemovedAt(black, [black, lift], [])).toEqual(lift.changedAt);
  });

  it('keeps the line when the blacklisting expires, even if a later blacklisting is repaired', () => {
    const expiry = turn('BLACK', 'NORMAL', '2034-05-01T00:00:00Z', 'EXPIRY');
    const again = turn('NORMAL', 'BLACK', '2034-07-01T00:00:00Z');
    const repair = turn('BLACK', 'WATCH', '2034-09-01T00:00:00Z', 'REPAIR');
    const turns = [repair, again, expiry, black];
    expect(blacklistingRemovedAt(black, turns, [])).toBeNull();
    expect(blacklistingRemovedAt(again, turns, [])).toEqual(repair.changedAt);
  });

  it('takes a lift without a cause as a repair only when a repair was announced in the same transaction just before it', () => {
    const lift = turn('BLACK', 'NORMAL', '2034-05-01T00:00:00Z', null, '2034-11-30T01:00:00.500Z');
    expect(isRepairLift(lift, [])).toBe(false);
    expect(isRepairLift(lift, [at('2034-11-30T01:00:00.480Z')])).toBe(true);
    expect(isRepairLift(lift, [at('2034-11-30T01:00:00.520Z')])).toBe(false);
    expect(isRepairLift(lift, [new Date(lift.eventAt.getTime() - REPAIR_PAIRING_MS - 1)])).toBe(false);
    // a cause the event gives wins over the pairing
    expect(isRepairLift({ ...lift, cause: 'EXPIRY' }, [at('2034-11-30T01:00:00.480Z')])).toBe(false);
  });
});
