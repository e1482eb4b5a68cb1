import { registry } from '@citypoints/registry';
import { civic, resumePendingRedemptions, RESUME_AFTER_MS } from '@citypoints/civic';
import { decideRedemption, volunteering } from '@citypoints/volunteering';
import type { SubgraphInstance } from '@citypoints/federation';
import { eventually, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { sagaFixture, sagaReadings, sagaWorkers } from './saga-fixture';

/**
 * A volunteer-points redemption stopped between its steps — a worker killed, and the message it
 * was to act on lost with the queue (a Redis restarted without persistence) — converges once the
 * recovery job runs, and exactly once: the points and the stock move one time.
 *
 * The city's API servers run as usual; civic's and volunteering's workers run as separate
 * instances (as `src/worker.ts` does in production), so a test can kill and restart them.
 */
describe('the volunteer-points saga recovers from a worker killed between the steps', () => {
  let city: TestCity;
  const clock = new FixedClock(new Date('2026-06-01T02:00:00Z'));
  const f = sagaFixture(() => city, () => clock.now());
  const { startWorker, kill, loseQueue, relayCivicOnce: relayOnce, closeAll } = sagaWorkers(() => city, clock);

  /** what the civic worker's relay sent before it died */
  const relayCivicOnce = async () => expect(await relayOnce()).toBe(1);
  const { civicRt, volRt, requested, decided, debits, invariants } = sagaReadings(() => city);
  const saga = async (id: string) =>
    (await civicRt().ds.query(`SELECT status, requests FROM civic.redemptions WHERE id = $1`, [id]))[0] as { status: string; requests: number };

  let civicWorker: SubgraphInstance;
  let volunteeringWorker: SubgraphInstance;
  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic, volunteering], workers: false, clock, label: 'saga_recovery' });
    await city.instances.registry.startWorkers();
    civicWorker = await startWorker(civic);
    volunteeringWorker = await startWorker(volunteering);
  });
  afterAll(async () => {
    await closeAll();
    await city.close();
  });

  it('completes once when civic\'s worker died after volunteering debited and the answer was lost', async () => {
    const r = await f.resident();
    await f.earn(r, 5);
    expect(await f.volunteerPoints(r)).toBe(50);
    const item = await f.shelf(20, 3);

    await kill(civicWorker);
    const p = ok(await f.redeem(r.token, r.cardNo, item.id)).redeem;
    expect(p.status).toBe('PENDING');
    expect(await f.stock(item.merchantId, item.id)).toBe(2);
    // the dying worker's relay got the request out; volunteering debits and answers ...
    await relayCivicOnce();
    expect(await decided(p.id)).toBe('DEBITED');
    expect(await f.volunteerPoints(r)).toBe(30);
    // ... and the answer is lost with civic's queue; the restarted worker has nothing to act on
    await loseQueue('civic');
    civicWorker = await startWorker(civic);
    expect(await saga(p.id)).toEqual({ status: 'PENDING', requests: 1 });

    // a redemption pending for less than the recovery's delay is left alone
    expect(await resumePendingRedemptions(civicRt())).toBe(0);
    clock.advance(RESUME_AFTER_MS);
    expect(await resumePendingRedemptions(civicRt())).toBe(1);
    expect(await f.settled(r.token, p.id)).toMatchObject({ status: 'COMPLETED', balanceAfter: 30 });
    expect(await saga(p.id)).toEqual({ status: 'COMPLETED', requests: 2 });

    // exactly once: one debit, one unit of stock, and nothing left to resume
    expect(await debits(p.id)).toBe(1);
    expect(await f.volunteerPoints(r)).toBe(30);
    expect(await f.stock(item.merchantId, item.id)).toBe(2);
    clock.advance(RESUME_AFTER_MS);
    expect(await resumePendingRedemptions(civicRt())).toBe(0);
    expect(await invariants()).toEqual([]);
  });

  it('debits once when volunteering\'s worker died before it took the request and the request was lost', async () => {
    const r = await f.resident();
    await f.earn(r, 5);
    const item = await f.shelf(20, 3);

    await kill(volunteeringWorker);
    const p = ok(await f.redeem(r.token, r.cardNo, item.id)).redeem;
    await requested(p.id);
    await loseQueue('volunteering');
    volunteeringWorker = await startWorker(volunteering);
    expect(await saga(p.id)).toEqual({ status: 'PENDING', requests: 1 });
    expect(await f.volunteerPoints(r)).toBe(50);
    expect(await f.stock(item.merchantId, item.id)).toBe(2);

    clock.advance(RESUME_AFTER_MS);
    expect(await resumePendingRedemptions(civicRt())).toBe(1);
    expect(await f.settled(r.token, p.id)).toMatchObject({ status: 'COMPLETED', balanceAfter: 30 });
    // a second request that arrives late (the lost one, redelivered) changes nothing
    await volRt().ds.transaction(async (m) => {
      expect(await decideRedemption(volRt(), m, { redemptionId: p.id, residentId: r.id, points: 20 })).toMatchObject({ outcome: 'DEBITED', balanceAfter: 30 });
    });
    expect(await debits(p.id)).toBe(1);
    expect(await f.volunteerPoints(r)).toBe(30);
    expect(await f.stock(item.merchantId, item.id)).toBe(2);
    expect(await invariants()).toEqual([]);
  });

  it('compensates once when the refusal was lost: the stock comes back one time', async () => {
    const r = await f.resident();
    await f.earn(r, 1);
    const item = await f.shelf(20, 3);

    await kill(civicWorker);
    const p = ok(await f.redeem(r.token, r.cardNo, item.id)).redeem;
    await relayCivicOnce();
    expect(await decided(p.id)).toBe('REFUSED');
    await loseQueue('civic');
    civicWorker = await startWorker(civic);
    expect(await f.stock(item.merchantId, item.id)).toBe(2);

    clock.advance(RESUME_AFTER_MS);
    expect(await resumePendingRedemptions(civicRt())).toBe(1);
    clock.advance(RESUME_AFTER_MS);
    // asked again before the answer came (a slow answer): every answer after the first finds the saga settled
    const again = await resumePendingRedemptions(civicRt());
    expect(await f.settled(r.token, p.id)).toMatchObject({ status: 'FAILED', failure: 'INSUFFICIENT_POINTS' });
    await eventually(async () => {
      const rows = await civicRt().ds.query(
        `SELECT count(*)::int AS n FROM volunteering.outbox o JOIN civic.inbox i ON i.event_id = o.id AND i.consumer = 'civic' WHERE o.aggregate_id = $1`,
        [p.id],
      );
      return rows[0].n === 1 + again;
    });
    expect(await f.stock(item.merchantId, item.id)).toBe(3);
    expect(await f.volunteerPoints(r)).toBe(10);
    expect(await debits(p.id)).toBe(0);
  });
});
