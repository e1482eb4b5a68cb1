import { Client } from 'pg';
import type { EntityManager } from 'typeorm';

/** The channel civic notifies on when a volunteer-points redemption settles (the payload is its id). */
export const SETTLED_CHANNEL = 'citypoints_civic_redemption_settled';

/** Announces, on commit of the caller's transaction, that a redemption has settled. */
export async function announceSettled(m: EntityManager, redemptionId: string): Promise<void> {
  await m.query('SELECT pg_notify($1, $2)', [SETTLED_CHANNEL, redemptionId]);
}

/**
 * How a redeem waits for volunteering's decision without holding a connection or a lock: one
 * LISTEN connection per instance (opened on the first wait, reopened after a loss) wakes the
 * waiters of a redemption when the transaction that settled it commits — wherever that ran (the
 * civic worker applies the decisions). Each waiter also reads the redemption again every
 * `pollMs`, so a notification lost with the connection delays the answer, never loses it.
 */
export class RedemptionNotices {
  private readonly waiters = new Map<string, Set<() => void>>();
  private client: Client | null = null;
  private connecting: Promise<boolean> | null = null;
  private closed = false;

  constructor(
    private readonly url: string | undefined,
    private readonly log?: (message: string) => void,
  ) {}

  /**
   * Waits until `settled()` is true or the wall clock reaches `deadline` (epoch milliseconds; wall
   * time on purpose: it bounds how long the caller waits, not a span of the city's calendar);
   * true when settled. `settled()` is read once at the start, on every notification for the
   * redemption, and every `pollMs` in between.
   */
  async waitFor(redemptionId: string, settled: () => Promise<boolean>, deadline: number, pollMs: number): Promise<boolean> {
    let signalled = false;
    let wake: (() => void) | null = null;
    const onNotice = () => {
      signalled = true;
      wake?.();
    };
    let set = this.waiters.get(redemptionId);
    if (!set) this.waiters.set(redemptionId, (set = new Set()));
    set.add(onNotice);
    try {
      // listening before the first read: a decision committed in between still wakes us
      if (deadline > Date.now()) await this.listening();
      for (;;) {
        signalled = false;
        if (await settled()) return true;
        const left = deadline - Date.now();
        if (left <= 0 || this.closed) return false;
        if (!signalled) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => resolve(), Math.min(left, pollMs));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
        }
        // shutting down: answer with what was read last rather than read from a closing pool
        if (this.closed) return false;
      }
    } finally {
      set.delete(onNotice);
      if (!set.size) this.waiters.delete(redemptionId);
    }
  }

  /** How many redemptions are being waited for (for tests and metrics). */
  get waiting(): number {
    return this.waiters.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting;
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
    for (const set of this.waiters.values()) for (const f of set) f();
  }

  /** true once this instance LISTENs; false when it cannot (the waiters then only poll) */
  private listening(): Promise<boolean> {
    if (this.client) return Promise.resolve(true);
    if (this.closed || !this.url) return Promise.resolve(false);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<boolean> {
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
    const lost = () => {
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
    };
    client.on('error', (err) => {
      this.log?.(`civic: redemption notices: ${err.message}`);
      lost();
    });
    client.on('end', lost);
    client.on('notification', (n) => {
      if (!n.payload) return;
      for (const f of this.waiters.get(n.payload) ?? []) f();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${SETTLED_CHANNEL}"`);
    } catch (err) {
      this.log?.(`civic: redemption notices: LISTEN failed: ${String(err)}`);
      await client.end().catch(() => undefined);
      return false;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return false;
    }
    this.client = client;
    return true;
  }
}
