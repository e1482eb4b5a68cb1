import { randomBytes } from 'node:crypto';
import { QueueConnection } from '../src';

export const redisUrl = process.env.CITYPOINTS_TEST_REDIS_URL;

/** Both backends when Redis runs; the Redis rows are skipped (named so) when it does not. */
export const BACKENDS: { kind: QueueConnection['kind']; available: boolean; label: string }[] = [
  { kind: 'redis', available: !!redisUrl, label: redisUrl ? 'redis' : 'redis (skipped: CITYPOINTS_TEST_REDIS_URL is not set)' },
  { kind: 'postgres', available: true, label: 'postgres' },
];

export function connectionFor(kind: QueueConnection['kind'], databaseUrl: string): QueueConnection {
  if (kind === 'redis') {
    if (!redisUrl) throw new Error('CITYPOINTS_TEST_REDIS_URL is not set');
    return { kind: 'redis', url: redisUrl };
  }
  return { kind: 'postgres', url: databaseUrl, schema: 'bullmq' };
}

export const uniqueName = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

/** A promise the test settles by calling `done`; it rejects on its own after `timeoutMs`. */
export function until<T>(label: string, timeoutMs = 30_000) {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`timed out waiting for ${label}`)), timeoutMs);
  return {
    promise: promise.finally(() => clearTimeout(timer)),
    done: (v: T) => resolve(v),
  };
}
