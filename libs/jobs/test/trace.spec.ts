import { SpanKind, trace } from '@opentelemetry/api';
import { createTestDatabase, TestDatabase } from '@citypoints/db';
import { captureSpans, withSpan } from '@citypoints/log';
import { createQueue, createWorker, Lifecycle } from '../src';
import { BACKENDS, connectionFor, uniqueName, until } from './backends';

describe.each(BACKENDS)('trace context of jobs on $label', ({ kind, available }) => {
  const maybe = available ? it : it.skip;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('jobs_trace');
  });
  afterAll(async () => {
    await db.drop();
  });

  maybe('a job queued inside a span runs in a consumer span of the same trace; one queued outside any span starts its own', async () => {
    const conn = connectionFor(kind, db.url);
    const name = uniqueName('traced');
    const prefix = uniqueName('cptest');
    const lifecycle = new Lifecycle();
    const capture = captureSpans();
    const queue = lifecycle.queue('q', createQueue<{ n: number }>(name, conn, { prefix }));
    const ran = new Map<number, { data: unknown; traceId: string | undefined }>();
    const both = until<void>('two jobs');
    both.promise.catch(() => undefined);
    lifecycle.worker(
      'w',
      createWorker<{ n: number }>(
        name,
        async (job) => {
          ran.set(job.data.n, { data: job.data, traceId: trace.getActiveSpan()?.spanContext().traceId });
          if (ran.size === 2) both.done();
        },
        conn,
        { prefix },
      ),
    );
    try {
      const request = await withSpan('request', {}, async (span) => {
        await queue.add('traced', { n: 1 });
        return span.spanContext();
      });
      await queue.addBulk([{ name: 'untraced', data: { n: 2 } }]);
      await both.promise;
      expect(ran.get(1)!.data).toEqual({ n: 1, traceparent: `00-${request.traceId}-${request.spanId}-01` });
      expect(ran.get(1)!.traceId).toBe(request.traceId);
      expect(ran.get(2)!.data).toEqual({ n: 2 });
      expect(ran.get(2)!.traceId).toBeDefined();
      expect(ran.get(2)!.traceId).not.toBe(request.traceId);
      const jobSpan = capture.spans().find((s) => s.name === `job ${name} traced`);
      expect(jobSpan?.kind).toBe(SpanKind.CONSUMER);
      expect(jobSpan?.parentSpanContext?.spanId).toBe(request.spanId);
    } finally {
      capture.stop();
      await lifecycle.shutdown();
    }
  });
});
