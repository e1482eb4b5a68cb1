import { Lifecycle, pingRedis, redisOptionsFromUrl, resolveQueueConnection } from '../src';
import { redisUrl } from './backends';

describe('Lifecycle', () => {
  it('closes workers, then queues, then connections, and only once', async () => {
    const order: string[] = [];
    const closer = (name: string, ms: number) => ({
      close: () => new Promise<void>((r) => setTimeout(() => (order.push(name), r()), ms)),
    });
    const life = new Lifecycle();
    life.connection('pool', closer('pool', 0));
    life.queue('q', closer('queue', 5));
    life.worker('w1', closer('worker-slow', 30));
    life.worker('w2', closer('worker-fast', 0));
    await Promise.all([life.shutdown(), life.shutdown()]);
    expect(order).toEqual(['worker-fast', 'worker-slow', 'queue', 'pool']);
    expect(() => life.queue('late', closer('late', 0))).toThrow(/shutdown has begun/);
  });

  it('keeps closing after a failure and reports it at the end', async () => {
    const closed: string[] = [];
    const life = new Lifecycle();
    life.worker('bad', { close: () => Promise.reject(new Error('stuck')) });
    life.connection('pool', { close: () => void closed.push('pool') });
    await expect(life.shutdown()).rejects.toBeInstanceOf(AggregateError);
    expect(closed).toEqual(['pool']);
  });

  it('shuts down on a signal and exits', async () => {
    const life = new Lifecycle();
    const exited = new Promise<number>((resolve) => {
      const uninstall = life.installSignalHandlers(['SIGUSR2'], (code) => {
        uninstall();
        resolve(code);
      });
    });
    // emitted rather than sent: jest's sandboxed `process` does not receive real signals
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(await exited).toBe(0);
  });
});

describe('resolveQueueConnection', () => {
  const databaseUrl = 'postgres://postgres@127.0.0.1:5432/x';

  it('falls back to PostgreSQL when REDIS_URL is unset or does not answer', async () => {
    const logs: string[] = [];
    expect(await resolveQueueConnection({ databaseUrl, backend: 'auto', log: (m) => logs.push(m) })).toEqual({
      kind: 'postgres',
      url: databaseUrl,
      schema: 'bullmq',
    });
    expect(await resolveQueueConnection({ redisUrl: 'redis://127.0.0.1:1', databaseUrl, backend: 'auto', log: (m) => logs.push(m) }))
      .toMatchObject({ kind: 'postgres' });
    expect(logs[0]).toMatch(/REDIS_URL not set/);
    expect(logs[1]).toMatch(/did not answer/);
    expect(await pingRedis('redis://127.0.0.1:1', 500)).toBe(false);
  });

  it('honours an explicit backend', async () => {
    expect(await resolveQueueConnection({ databaseUrl, backend: 'postgres', redisUrl: 'redis://x:1' })).toMatchObject({ kind: 'postgres' });
    await expect(resolveQueueConnection({ databaseUrl, backend: 'redis' })).rejects.toThrow(/REDIS_URL/);
  });

  (redisUrl ? it : it.skip)('uses Redis when it answers PING', async () => {
    expect(await resolveQueueConnection({ redisUrl, databaseUrl, backend: 'auto' })).toEqual({ kind: 'redis', url: redisUrl });
  });

  it('turns a Redis URL into connection options', () => {
    expect(redisOptionsFromUrl('rediss://user:p%40ss@cache.local:6380/2')).toEqual({
      host: 'cache.local',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 2,
      tls: {},
    });
    expect(redisOptionsFromUrl('redis://127.0.0.1')).toEqual({ host: '127.0.0.1', port: 6379, db: 0 });
  });
});
