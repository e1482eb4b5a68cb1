import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@citypoints/db';
import { RedemptionNotices, SETTLED_CHANNEL } from '../src/exchange/redemption-notices';

/**
 * How a redeem waits for the saga's outcome (src/exchange/redemption-notices.ts): woken by the
 * settling commit's NOTIFY, not by its poll. The polls here are far longer than the test may run,
 * so a wake-up that does not come fails the test by its timeout.
 */
describe('redemption notices', () => {
  let db: TestDatabase;
  let notifier: Client;
  const notices: RedemptionNotices[] = [];
  const LONG = 10 * 60_000;
  const open = () => {
    const n = new RedemptionNotices(db.url);
    notices.push(n);
    return n;
  };
  const notify = (id: string) => notifier.query('SELECT pg_notify($1, $2)', [SETTLED_CHANNEL, id]);

  beforeAll(async () => {
    db = await createTestDatabase('redemption_notices');
    notifier = new Client({ connectionString: db.url });
    await notifier.connect();
  });
  afterAll(async () => {
    for (const n of notices) await n.close();
    await notifier.end();
    await db.drop();
  });

  it('wakes the waiter of a redemption when its settlement is announced', async () => {
    const n = open();
    const id = randomUUID();
    let reads = 0;
    // settles right after the first read, as a decision committed while the redeem waits
    const settled = async () => {
      reads += 1;
      if (reads === 1) await notify(id);
      return reads > 1;
    };
    expect(await n.waitFor(id, settled, Date.now() + LONG, LONG)).toBe(true);
    expect(reads).toBe(2);
    expect(n.waiting).toBe(0);
  }, 60_000);

  it("is not woken by another redemption's settlement, and answers not settled at the bound", async () => {
    const n = open();
    const id = randomUUID();
    let reads = 0;
    const settled = async () => {
      reads += 1;
      if (reads === 1) await notify(randomUUID());
      return false;
    };
    expect(await n.waitFor(id, settled, Date.now() + 1_500, LONG)).toBe(false);
    // the first read and the one at the bound: nothing woke it in between
    expect(reads).toBe(2);
  }, 60_000);

  it('answers at once when already settled, and releases its waiters when the instance closes', async () => {
    const n = open();
    expect(await n.waitFor(randomUUID(), async () => true, Date.now() + LONG, LONG)).toBe(true);
    const id = randomUUID();
    let first!: () => void;
    const reading = new Promise<void>((resolve) => (first = resolve));
    const waiting = n.waitFor(
      id,
      async () => {
        first();
        return false;
      },
      Date.now() + LONG,
      LONG,
    );
    await reading;
    await n.close();
    expect(await waiting).toBe(false);
    expect(n.waiting).toBe(0);
  }, 60_000);
});
