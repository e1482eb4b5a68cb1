import type { EntityManager } from 'typeorm';
import { BatchKeyRace, postMany } from './batch';
import { post } from './posting';
import type { LedgerScope } from './internal';
import type { PostInput, PostResult } from './types';

/** What the group committer opens its transactions on: a TypeORM DataSource (or anything with its `transaction`). */
export interface TransactionSource {
  transaction<T>(run: (m: EntityManager) => Promise<T>): Promise<T>;
}

/**
 * `on` (the default) acknowledges a post once its commit is flushed to disk: a crash loses
 * nothing acknowledged. `off` acknowledges before the flush: a crash of PostgreSQL or of the
 * machine may lose the posts of the last few hundred milliseconds (up to 3 × wal_writer_delay)
 * that callers were told succeeded — the database stays consistent (never half a transaction,
 * never a broken balance), but points a resident was shown can vanish. docs/ledger-throughput.md.
 */
export type SynchronousCommit = 'on' | 'off';

export interface GroupCommitOptions {
  /** posts per transaction at most (default 256) */
  maxBatch?: number;
  /** transactions in flight at once (default 2): one commits (waits for the disk) while the next locks and writes */
  inFlight?: number;
  synchronousCommit?: SynchronousCommit;
}

interface Waiting {
  input: PostInput;
  resolve: (r: PostResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for posts that stand alone (not part of a caller's own transaction): concurrent
 * `post` calls queue while a transaction is in flight and the next transaction takes all of them
 * (postMany: two statements, one commit and one disk flush for the lot). Each caller gets its own
 * result or error, exactly as if it had posted alone; posts keep their arrival order within a
 * transaction. If a batch's transaction fails as a whole (a key raced in from elsewhere, a lost
 * connection), each of its posts is retried on its own, so one post never fails another.
 */
export class GroupCommit {
  private readonly queue: Waiting[] = [];
  private running = 0;
  private readonly maxBatch: number;
  private readonly inFlight: number;
  private readonly sync: SynchronousCommit;
  /** transactions committed and posts they carried, for benchmarks and metrics */
  readonly stats = { transactions: 0, posts: 0, fallbacks: 0 };

  constructor(
    private readonly scope: LedgerScope,
    private readonly source: TransactionSource,
    opts: GroupCommitOptions = {},
  ) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 256);
    this.inFlight = Math.max(1, opts.inFlight ?? 2);
    this.sync = opts.synchronousCommit ?? 'on';
  }

  post(input: PostInput): Promise<PostResult> {
    return new Promise<PostResult>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.inFlight && this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(batch: Waiting[]): Promise<void> {
    try {
      const outcomes = await this.source.transaction(async (m) => {
        if (this.sync === 'off') await m.query('SET LOCAL synchronous_commit = off');
        return postMany(this.scope, m, batch.map((w) => w.input));
      });
      this.stats.transactions++;
      this.stats.posts += batch.length;
      outcomes.forEach((o, i) => (o.ok ? batch[i].resolve(o.result) : batch[i].reject(o.error)));
    } catch (e) {
      if (batch.length === 1 && !(e instanceof BatchKeyRace)) {
        batch[0].reject(e);
        return;
      }
      // the batch rolled back as a whole: each post on its own, in order
      this.stats.fallbacks++;
      for (const w of batch) {
        await this.source
          .transaction(async (m) => {
            if (this.sync === 'off') await m.query('SET LOCAL synchronous_commit = off');
            return post(this.scope, m, w.input);
          })
          .then(w.resolve, w.reject);
      }
    }
  }
}
