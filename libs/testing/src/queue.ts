import type { QueueConnection } from '@citypoints/jobs';

/** The queue backend of the test run: Redis when jest found one, else BullMQ's PostgreSQL backend. */
export function testQueueConnection(databaseUrl: string): QueueConnection {
  const redis = process.env.CITYPOINTS_TEST_REDIS_URL;
  return redis ? { kind: 'redis', url: redis } : { kind: 'postgres', url: databaseUrl, schema: 'bullmq' };
}
