import { registry } from '@citypoints/registry';
import { applyDebitDecision, civicModule, GIVE_UP_AFTER_MS, REDEMPTION_SETTLED_CHANNEL, resumePendingRedemptions } from '@citypoints/civic';
import { decideRedemption, volunteering } from '@citypoints/volunteering';
import type { SubgraphInstance } from '@citypoints/federation';
import { DAY } from '@citypoints/kit';
import { codes, eventually, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { sagaFixture, sagaReadings, sagaWorkers } from './saga-fixture';

/**
 * A merchant at the till gets the outcome of a volunteer-points redemption from the redeem
 * itself: it waits (bounded) for volunteering's decision and answers COMPLETED or
 * INSUFFICIENT_POINTS; PENDING only when no decision came in time. A redemption left pending
 * past the give-up bound is abandoned by civic's recovery job: volunteering refuses it (cause
 * ABANDONED) unless it had already decided, and then its decision stands — so the saga always
 * ends with both the points and the stock moved, or neither (docs/domain/08-volunteering.md).
 *
 * The API servers run as usual; civic's and volunteering's workers run as separate instances
 * (as `src/worker.ts` does in production), so a test can stop a consumer and start it again.
 */
describe('a volunteer-points redemption answers its outcome, and one pending too long is given up', () => {
  let city: TestCity;
  const clock = new FixedClock(new Date('2026-07-01T02:00:00Z'));
  const f = sagaFixture(() => city, () => clock.now());
  const { startWorker, kill, loseQueue, relayCivicOnce: relayOnce, closeAll } = sagaWorkers(() => city, clock);
  /** long enough for a decision on a loaded machine, within the gateway's 30 s */
  const WAIT_FOR_DECISION_MS = 20_000;
  /** for the redeems that cannot be decided (a consumer stopped): how long they wait before PENDING */
  const WAIT_IN_VAIN_MS = 1_000;
  const civic = civicModule({ redeemWaitMs: WAIT_FOR_DECISION_MS });
  /** the civic worker's own recovery job stays out of the way: the tests run the recovery themselves */
  const civicWorkerModule = civicModule({ resumeAfterMs: 3650 * DAY, giveUpAfterMs: 7300 * DAY });

  /** what the civic worker's relay sent before it died */
  const relayCivicOnce = async () => expect(await relayOnce()).toBe(1);
  /** the redeem's wait, for the redeems of one test */
  async function waiting<T>(ms: number, run: () => Promise<T>): Promise<T> {
    const before = civicRt().options.redeemWaitMs;
    civicRt().options.redeemWaitMs = ms;
    try {
      return await run();
    } finally {
      civicRt().options.redeemWaitMs = before;
    }
  }
  const { civicRt, volRt, requested, decided, decision, debits, cancellations, invariants } = sagaReadings(() => city);
  const saga = async (id: string) =>
    (await civicRt().ds.query(`SELECT status, failure, abandoned_at IS NOT NULL AS abandoned FROM civic.redemptions WHERE id = $1`, [id]))[0] as { status: string; failure: string | null; abandoned: boolean };

  let civicWorker: SubgraphInstance;
  let volunteeringWorker: SubgraphInstance;
  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic, volunteering], workers: false, clock, label: 'saga_giveup' });
    await city.instances.registry.startWorkers();
    civicWorker = await startWorker(civicWorkerModule);
    volunteeringWorker = await startWorker(volunteering);
  });
  afterAll(async () => {
    await closeAll();
    await city.close();
  });

  it('answers COMPLETED at once when volunteering is up, and a retry with the key answers the same', async () => {
    const r = await f.resident();
    await f.earn(r, 5);
    const item = await f.shelf(20, 3);
    // what wakes the waiting redeem: the settling commit (in civic's worker) announces the redemption
    const listener = new Client({ connectionString: city.db.url });
    const announced: string[] = [];
    await listener.connect();
    listener.on('notification', (n) => announced.push(n.payload ?? ''));
    await listener.query(`LISTEN "${REDEMPTION_SETTLED_CHANNEL}"`);
    const key = randomUUID();
    const answer = ok(await f.redeem(r.token, r.cardNo, item.id, { key })).redeem;
    expect(answer).toMatchObject({ status: 'COMPLETED', failure: null, balanceAfter: 30, totalPoints: 20 });
    await eventually(async () => announced.includes(answer.id)).finally(() => listener.end());
    expect(await f.stock(item.merchantId, item.id)).toBe(2);
    expect(await f.volunteerPoints(r)).toBe(30);
    // the waiting redeem left nothing behind it
    expect(civicRt().notices.waiting).toBe(0);

    const again = ok(await f.redeem(r.token, r.cardNo, item.id, { key })).redeem;
    expect(again).toMatchObject({ id: answer.id, status: 'COMPLETED', balanceAfter: 30 });
    expect(await debits(answer.id)).toBe(1);
    expect(await f.stock(item.merchantId, item.id)).toBe(2);
    expect(await invariants()).toEqual([]);
  });

  it('answers INSUFFICIENT_POINTS at once when the points fall short: the stock is back, the redemption FAILED, and a retry says the same', async () => {
    const r = await f.resident();
    await f.earn(r, 3);
    const item = await f.shelf(20, 3);
    const key = randomUUID();
    const refused = await f.redeem(r.token, r.cardNo, item.id, { key, quantity: 2 });
    expect(codes(refused)).toEqual(['INSUFFICIENT_POINTS']);
    expect(refused.errors![0].extensions).toMatchObject({ details: { required: 40 } });
    const id = f.outcomeId(refused);
    // the compensation has already run when the answer comes
    expect(await f.stock(item.merchantId, item.id)).toBe(3);
    expect(await f.redemption(r.token, id)).toMatchObject({ status: 'FAILED', failure: 'INSUFFICIENT_POINTS', totalPoints: 40 });
    expect(await f.volunteerPoints(r)).toBe(30);

    const again = await f.redeem(r.token, r.cardNo, item.id, { key, quantity: 2 });
    expect(codes(again)).toEqual(['INSUFFICIENT_POINTS']);
    expect(f.outcomeId(again)).toBe(id);
    expect(await f.stock(item.merchantId, item.id)).toBe(3);
    expect(await debits(id)).toBe(0);
    // a merchant with the holder's code is told the same, without the holder's balance
    const code = ok(await city.query(`mutation { issueRedemptionCode { code } }`, {}, r.token)).issueRedemptionCode.code;
    const atTill = await f.redeem(item.token, r.cardNo, item.id, { quantity: 2, holderCode: code });
    expect(codes(atTill)).toEqual(['INSUFFICIENT_POINTS']);
    expect(JSON.stringify(atTill.errors)).not.toContain('"balance');
    expect(await f.stock(item.merchantId, item.id)).toBe(3);
  });

  it('answers PENDING when volunteering does not decide in time; given up, the redemption FAILS with its stock back and no points taken', async () => {
    const r = await f.resident();
    await f.earn(r, 5);
    const item = await f.shelf(20, 3);

    await kill(volunteeringWorker);
    const key = randomUUID();
    const p = await waiting(WAIT_IN_VAIN_MS, async () => ok(await f.redeem(r.token, r.cardNo, item.id, { key })).redeem);
    expect(p).toMatchObject({ status: 'PENDING', failure: null });
    expect(await f.redemption(r.token, p.id)).toMatchObject({ status: 'PENDING' });
    expect(await f.stock(item.merchantId, item.id)).toBe(2);
    // the request reached volunteering's queue, and is lost with it
    await requested(p.id);
    await loseQueue('volunteering');

    // short of the bound the recovery job only asks again (and that request is lost as well)
    clock.advance(GIVE_UP_AFTER_MS - 60_000);
    expect(await resumePendingRedemptions(civicRt())).toBe(1);
    expect(await saga(p.id)).toMatchObject({ status: 'PENDING', abandoned: false });
    expect(await cancellations(p.id)).toBe(0);
    await requested(p.id);
    await loseQueue('volunteering');
    // past it, civic gives the redemption up and asks volunteering to cancel
    clock.advance(60_000);
    expect(await resumePendingRedemptions(civicRt())).toBe(1);
    expect(await saga(p.id)).toMatchObject({ status: 'PENDING', abandoned: true });
    expect(await cancellations(p.id)).toBe(1);

    // volunteering, back, finds only the cancellation: it refuses, and civic compensates
    volunteeringWorker = await startWorker(volunteering);
    expect(await f.settled(r.token, p.id)).toMatchObject({ status: 'FAILED', failure: 'ABANDONED', balanceAfter: null });
    expect(await decision(p.id)).toEqual({ outcome: 'REFUSED', cause: 'ABANDONED' });
    expect(await f.stock(item.merchantId, item.id)).toBe(3);
    expect(await f.volunteerPoints(r)).toBe(50);
    expect(await debits(p.id)).toBe(0);

    // the lost request, delivered late, gets the refusal: the decision is final
    await volRt().ds.transaction(async (m) => {
      expect(await decideRedemption(volRt(), m, { redemptionId: p.id, residentId: r.id, points: 20 })).toMatchObject({ outcome: 'REFUSED', cause: 'ABANDONED' });
    });
    expect(await debits(p.id)).toBe(0);
    expect(await f.volunteerPoints(r)).toBe(50);
    // the retry with the key answers the outcome; nothing is left to resume
    expect(ok(await f.redeem(r.token, r.cardNo, item.id, { key })).redeem).toMatchObject({ id: p.id, status: 'FAILED', failure: 'ABANDONED' });
    expect(await f.stock(item.merchantId, item.id)).toBe(3);
    clock.advance(GIVE_UP_AFTER_MS);
    expect(await resumePendingRedemptions(civicRt())).toBe(0);
    expect(await invariants()).toEqual([]);
  });

  it('completes a redemption given up after volunteering had debited it: the points and the stock move once', async () => {
    const r = await f.resident();
    await f.earn(r, 5);
    const item = await f.shelf(20, 3);

    await kill(civicWorker);
    const key = randomUUID();
    const p = await waiting(WAIT_IN_VAIN_MS, async () => ok(await f.redeem(r.token, r.cardNo, item.id, { key })).redeem);
    expect(p.status).toBe('PENDING');
    // the dying worker's relay got the request out; volunteering debits, and the answer is lost
    await relayCivicOnce();
    expect(await decided(p.id)).toBe('DEBITED');
    await loseQueue('civic');
    civicWorker = await startWorker(civicWorkerModule);
    expect(await f.volunteerPoints(r)).toBe(30);
    expect(await saga(p.id)).toMatchObject({ status: 'PENDING', abandoned: false });

    clock.advance(GIVE_UP_AFTER_MS);
    expect(await resumePendingRedemptions(civicRt())).toBe(1);
    expect(await cancellations(p.id)).toBe(1);
    // volunteering answers its debit to the cancellation, and civic completes
    expect(await f.settled(r.token, p.id)).toMatchObject({ status: 'COMPLETED', failure: null, balanceAfter: 30 });
    expect(await saga(p.id)).toMatchObject({ status: 'COMPLETED', abandoned: true });
    expect(await decision(p.id)).toEqual({ outcome: 'DEBITED', cause: null });
    expect(await debits(p.id)).toBe(1);
    expect(await f.volunteerPoints(r)).toBe(30);
    expect(await f.stock(item.merchantId, item.id)).toBe(2);
    expect(ok(await f.redeem(r.token, r.cardNo, item.id, { key })).redeem).toMatchObject({ id: p.id, status: 'COMPLETED', balanceAfter: 30 });
    expect(await invariants()).toEqual([]);
  });
  describe("the holder's one-time code", () => {
    const issueCode = async (token: string) => ok(await city.query(`mutation { issueRedemptionCode { code } }`, {}, token)).issueRedemptionCode.code as string;
    const codeOf = async (redemptionId: string) =>
      (await civicRt().ds.query(`SELECT c.used_at, c.expires_at FROM civic.redemption_codes c JOIN civic.redemptions r ON r.holder_code_id = c.id WHERE r.id = $1`, [redemptionId]))[0] as { used_at: Date | null; expires_at: Date };

    it('a redemption refused for want of points gives the code back: the retry at the till spends it once, and a repeated refusal changes nothing', async () => {
      const r = await f.resident();
      await f.earn(r, 3);
      const item = await f.shelf(20, 3);
      const code = await issueCode(r.token);
      const refused = await f.redeem(item.token, r.cardNo, item.id, { quantity: 2, holderCode: code });
      expect(codes(refused)).toEqual(['INSUFFICIENT_POINTS']);
      const failedId = f.outcomeId(refused);
      expect(await saga(failedId)).toMatchObject({ status: 'FAILED', failure: 'INSUFFICIENT_POINTS' });
      expect((await codeOf(failedId)).used_at).toBeNull();

      // the holder takes one instead: the same code pays for it, once
      const retried = ok(await f.redeem(item.token, r.cardNo, item.id, { holderCode: code })).redeem;
      expect(retried).toMatchObject({ status: 'COMPLETED', totalPoints: 20 });
      expect(await f.volunteerPoints(r)).toBe(10);
      expect(await f.stock(item.merchantId, item.id)).toBe(2);
      expect(codes(await f.redeem(item.token, r.cardNo, item.id, { holderCode: code }))).toEqual(['FORBIDDEN']);

      // the refusal delivered again finds the redemption settled: the code stays spent by the retry
      await civicRt().ds.transaction(async (m) => {
        expect(await applyDebitDecision(civicRt(), m, { redemptionId: failedId, outcome: 'REFUSED', balanceAfter: null, cause: 'INSUFFICIENT_POINTS' })).toBe('FAILED');
      });
      expect((await codeOf(failedId)).used_at).not.toBeNull();
      expect(codes(await f.redeem(item.token, r.cardNo, item.id, { holderCode: code }))).toEqual(['FORBIDDEN']);
      expect(await f.stock(item.merchantId, item.id)).toBe(2);
      expect(await invariants()).toEqual([]);
    });

    it('a redemption given up a day later gives the code back live for the time it had left', async () => {
      const r = await f.resident();
      await f.earn(r, 5);
      const item = await f.shelf(20, 3);
      const code = await issueCode(r.token);
      await kill(volunteeringWorker);
      const p = await waiting(WAIT_IN_VAIN_MS, async () => ok(await f.redeem(item.token, r.cardNo, item.id, { key: randomUUID(), holderCode: code })).redeem);
      expect(p.status).toBe('PENDING');
      const spent = await codeOf(p.id);
      expect(spent.used_at).not.toBeNull();
      const left = spent.expires_at.getTime() - spent.used_at!.getTime();
      await requested(p.id);
      await loseQueue('volunteering');
      clock.advance(GIVE_UP_AFTER_MS);
      expect(await resumePendingRedemptions(civicRt())).toBe(1);
      volunteeringWorker = await startWorker(volunteering);
      expect(await f.settled(r.token, p.id)).toMatchObject({ status: 'FAILED', failure: 'ABANDONED' });
      expect(await f.volunteerPoints(r)).toBe(50);
      expect(await f.stock(item.merchantId, item.id)).toBe(3);
      const released = await codeOf(p.id);
      expect(released.used_at).toBeNull();
      expect(released.expires_at.getTime()).toBeGreaterThan(clock.now().getTime());
      expect(released.expires_at.getTime() - clock.now().getTime()).toBeLessThanOrEqual(left);

      const retried = ok(await f.redeem(item.token, r.cardNo, item.id, { holderCode: code })).redeem;
      expect(retried).toMatchObject({ status: 'COMPLETED', totalPoints: 20 });
      expect(await f.volunteerPoints(r)).toBe(30);
      expect(await f.stock(item.merchantId, item.id)).toBe(2);
      expect(await invariants()).toEqual([]);
    });
  });
});
