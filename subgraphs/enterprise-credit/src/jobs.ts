import { EventConsumer, OutboxRelay } from '@citypoints/events';
import { createQueue, createWorker, Lifecycle, schedule, type JobWorker } from '@citypoints/jobs';
import type { SubgraphDeps } from '@citypoints/federation';
import { runtime, SCHEMA } from './context';
import { enterpriseHandlers } from './enterprises/enterprise.projection';
import { processScoringJob, startNightlyScoring } from './labour/labour.scoring';
import { deliverWebhook, dispatchPendingDeliveries } from './alerts/webhook.service';
import { escalateOverdueAlerts } from './alerts/alert.service';
import { recomputeAllStatuses } from './credit/credit.service';

export const QUEUES = {
  scoring: 'enterprise-credit.scoring',
  deliveries: 'enterprise-credit.webhook-deliveries',
  maintenance: 'enterprise-credit.maintenance',
} as const;

type MaintenanceTask = 'nightly-scoring' | 'nightly-status' | 'escalation' | 'delivery-sweep';

async function runMaintenance(task: MaintenanceTask): Promise<unknown> {
  switch (task) {
    case 'nightly-scoring':
      return (await startNightlyScoring())?.id ?? null;
    case 'nightly-status':
      return runtime().ds.transaction((m) => recomputeAllStatuses(m));
    case 'escalation':
      return escalateOverdueAlerts();
    case 'delivery-sweep':
      return dispatchPendingDeliveries();
  }
}

/**
 * The worker side: the outbox relay, the enterprise projection, the scoring and delivery
 * workers, and the schedules (upserted by stable id, so restarts never multiply them).
 */
export async function startWorkers(deps: SubgraphDeps, lifecycle: Lifecycle): Promise<void> {
  const rt = runtime();
  const prefix = deps.queuePrefix;
  const relay = new OutboxRelay({ dataSource: rt.ds, schema: SCHEMA, connection: deps.queue, prefix, log: rt.log });
  relay.start();
  lifecycle.worker('outbox-relay', { close: () => relay.stop() });
  const consumer = new EventConsumer({ dataSource: rt.ds, schema: SCHEMA, consumer: 'enterprise-credit', connection: deps.queue, handlers: enterpriseHandlers, prefix, log: rt.log });
  await consumer.start();
  lifecycle.worker('events', { close: () => consumer.stop() });

  const lock = { lockDuration: rt.options.jobLockMs, stalledInterval: rt.options.jobLockMs };
  const workers: JobWorker[] = [
    createWorker(QUEUES.scoring, processScoringJob, deps.queue, { prefix, concurrency: 1, ...lock }),
    createWorker(QUEUES.deliveries, deliverWebhook, deps.queue, { prefix, concurrency: 8 }),
    createWorker<{ task: MaintenanceTask }>(QUEUES.maintenance, (job) => runMaintenance(job.data.task), deps.queue, { prefix, concurrency: 1 }),
  ];
  for (const w of workers) {
    w.on('error', (err) => rt.log(`worker ${w.name}: ${String(err)}`));
    w.on('failed', (job, err) => rt.log(`job ${w.name}/${job?.id} failed: ${err.message}`));
    lifecycle.worker(w.name, w);
  }
  const maintenance = lifecycle.queue('maintenance', createQueue<{ task: MaintenanceTask }>(QUEUES.maintenance, deps.queue, { prefix }));
  await schedule(maintenance, 'enterprise-credit:nightly-scoring', { pattern: '30 1 * * *' }, { name: 'nightly-scoring', data: { task: 'nightly-scoring' as MaintenanceTask } });
  await schedule(maintenance, 'enterprise-credit:nightly-status', { pattern: '10 0 * * *' }, { name: 'nightly-status', data: { task: 'nightly-status' as MaintenanceTask } });
  await schedule(maintenance, 'enterprise-credit:escalation', { every: 5 * 60_000 }, { name: 'escalation', data: { task: 'escalation' as MaintenanceTask } });
  await schedule(maintenance, 'enterprise-credit:delivery-sweep', { every: 60_000 }, { name: 'delivery-sweep', data: { task: 'delivery-sweep' as MaintenanceTask } });
}
