import { EventConsumer, OutboxRelay } from '@citypoints/events';
import { createQueue, createWorker, schedule, type JobWorker } from '@citypoints/jobs';
import { SCHEMA, type DeliveryJob, type EnterpriseCreditRuntime, type ScoringJob } from './runtime';
import { enterpriseHandlers } from './enterprises/enterprise.projection';
import { processScoringJob, startNightlyScoring, type ScoringEffects } from './labour/labour.scoring';
import { deliverWebhook, dispatchPendingDeliveries } from './alerts/webhook.service';
import { escalateOverdueAlerts, raiseAlertsSql } from './alerts/alert.service';
import { recomputeAllStatuses } from './credit/credit.service';

export const QUEUES = {
  scoring: 'enterprise-credit.scoring',
  deliveries: 'enterprise-credit.webhook-deliveries',
  maintenance: 'enterprise-credit.maintenance',
} as const;

type MaintenanceTask = 'nightly-scoring' | 'nightly-status' | 'escalation' | 'delivery-sweep';

/**
 * What a scoring run sets off beyond its scores: the alerts module writes the alerts and delivery
 * rows of the rises a chunk finds (its CTEs in the chunk's statement), and queues the deliveries
 * once the chunk has committed. Scoring itself knows nothing of alerts.
 */
export function scoringEffects(rt: EnterpriseCreditRuntime): ScoringEffects {
  return {
    raiseSql: (rises, o) => raiseAlertsSql(rises, o),
    committed: () => dispatchPendingDeliveries(rt),
  };
}

async function runMaintenance(rt: EnterpriseCreditRuntime, task: MaintenanceTask): Promise<unknown> {
  switch (task) {
    case 'nightly-scoring':
      return (await startNightlyScoring(rt))?.id ?? null;
    case 'nightly-status':
      return rt.ds.transaction((m) => recomputeAllStatuses(rt, m));
    case 'escalation':
      return escalateOverdueAlerts(rt);
    case 'delivery-sweep':
      return dispatchPendingDeliveries(rt);
  }
}

/**
 * The worker side: the outbox relay, the enterprise projection, the scoring and delivery
 * workers, and the schedules (upserted by stable id, so restarts never multiply them).
 */
export async function startWorkers(rt: EnterpriseCreditRuntime): Promise<void> {
  const { lifecycle } = rt;
  const { queue: connection, queuePrefix: prefix } = rt.connection;
  const relay = new OutboxRelay({ dataSource: rt.ds, schema: SCHEMA, connection, prefix, log: rt.log });
  relay.start();
  lifecycle.worker('outbox-relay', { close: () => relay.stop() });
  const consumer = new EventConsumer({ dataSource: rt.ds, schema: SCHEMA, consumer: 'enterprise-credit', connection, handlers: enterpriseHandlers, prefix, log: rt.log });
  await consumer.start();
  lifecycle.worker('events', { close: () => consumer.stop() });

  const lock = { lockDuration: rt.options.jobLockMs, stalledInterval: rt.options.jobLockMs };
  const effects = scoringEffects(rt);
  const workers: JobWorker[] = [
    createWorker<ScoringJob>(QUEUES.scoring, (job) => processScoringJob(rt, job, effects), connection, { prefix, concurrency: 1, ...lock }),
    createWorker<DeliveryJob>(QUEUES.deliveries, (job) => deliverWebhook(rt, job), connection, { prefix, concurrency: 8 }),
    createWorker<{ task: MaintenanceTask }>(QUEUES.maintenance, (job) => runMaintenance(rt, job.data.task), connection, { prefix, concurrency: 1 }),
  ];
  for (const w of workers) {
    w.on('error', (err) => rt.log(`worker ${w.name}: ${String(err)}`));
    w.on('failed', (job, err) => rt.log(`job ${w.name}/${job?.id} failed: ${err.message}`));
    lifecycle.worker(w.name, w);
  }
  const maintenance = lifecycle.queue('maintenance', createQueue<{ task: MaintenanceTask }>(QUEUES.maintenance, connection, { prefix }));
  await schedule(maintenance, 'enterprise-credit:nightly-scoring', { pattern: '30 1 * * *' }, { name: 'nightly-scoring', data: { task: 'nightly-scoring' as MaintenanceTask } });
  await schedule(maintenance, 'enterprise-credit:nightly-status', { pattern: '10 0 * * *' }, { name: 'nightly-status', data: { task: 'nightly-status' as MaintenanceTask } });
  await schedule(maintenance, 'enterprise-credit:escalation', { every: 5 * 60_000 }, { name: 'escalation', data: { task: 'escalation' as MaintenanceTask } });
  await schedule(maintenance, 'enterprise-credit:delivery-sweep', { every: 60_000 }, { name: 'delivery-sweep', data: { task: 'delivery-sweep' as MaintenanceTask } });
}
