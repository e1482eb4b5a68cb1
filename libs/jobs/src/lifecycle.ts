/** Shutdown order: stop taking work, then stop producing, then drop the connections both used. */
export const SHUTDOWN_GROUPS = ['workers', 'queues', 'connections'] as const;
export type ShutdownGroup = (typeof SHUTDOWN_GROUPS)[number];

export interface Closable {
  close(): Promise<unknown> | unknown;
}

export interface LifecycleOptions {
  log?: (message: string) => void;
}

/**
 * Ordered graceful shutdown. Workers close first so in-flight jobs finish (or are handed back)
 * while their queues and database pools still work; queues next; pools and clients last.
 */
export class Lifecycle {
  private readonly groups = new Map<ShutdownGroup, { name: string; close: () => Promise<unknown> | unknown }[]>(
    SHUTDOWN_GROUPS.map((g) => [g, []]),
  );
  private shuttingDown: Promise<void> | undefined;
  private readonly log: (message: string) => void;

  constructor(opts: LifecycleOptions = {}) {
    this.log = opts.log ?? (() => undefined);
  }

  /** Registers a closer; returns the closable so creation and registration read as one line. */
  add<T extends Closable>(group: ShutdownGroup, name: string, closable: T): T {
    if (this.shuttingDown) throw new Error(`cannot register ${name}: shutdown has begun`);
    this.groups.get(group)!.push({ name, close: () => closable.close() });
    return closable;
  }

  worker<T extends Closable>(name: string, w: T): T {
    return this.add('workers', name, w);
  }

  queue<T extends Closable>(name: string, q: T): T {
    return this.add('queues', name, q);
  }

  connection<T extends Closable>(name: string, c: T): T {
    return this.add('connections', name, c);
  }

  /**
   * Closes every group in order; within a group all close at once. A failing closer does not
   * stop the others; the failures are thrown together at the end. Calling it again returns the
   * same promise.
   */
  shutdown(): Promise<void> {
    this.shuttingDown ??= this.closeAll();
    return this.shuttingDown;
  }

  /** SIGTERM/SIGINT → shutdown → exit (0, or 1 when a closer failed). Returns an uninstaller. */
  installSignalHandlers(
    signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
    exit: (code: number) => void = (code) => process.exit(code),
  ): () => void {
    const onSignal = (signal: NodeJS.Signals) => {
      this.log(`${signal}: shutting down`);
      this.shutdown().then(
        () => exit(0),
        (err) => {
          this.log(`shutdown failed: ${String(err)}`);
          exit(1);
        },
      );
    };
    for (const s of signals) process.once(s, onSignal);
    return () => {
      for (const s of signals) process.removeListener(s, onSignal);
    };
  }

  private async closeAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const group of SHUTDOWN_GROUPS) {
      const closers = this.groups.get(group)!;
      const results = await Promise.allSettled(closers.map((c) => Promise.resolve().then(c.close)));
      results.forEach((r, i) => {
        if (r.status === 'rejected') {
          this.log(`closing ${group}/${closers[i].name} failed: ${String(r.reason)}`);
          errors.push(r.reason);
        }
      });
    }
    if (errors.length) throw new AggregateError(errors, `${errors.length} closer(s) failed during shutdown`);
  }
}
