import { createQueue, createWorker, type JobQueue, type JobWorker } from '@citypoints/jobs';
import type { SubgraphDeps } from '@citypoints/federation';
import type { SettlementRuntime, SimulationJob } from '../runtime';
import { performSimulation, type SimulationSummary } from './simulation.service';

export const SIMULATION_QUEUE = 'settlement.scheme-simulation';

export function createSimulationQueue(deps: SubgraphDeps): JobQueue<SimulationJob> {
  return createQueue<SimulationJob>(SIMULATION_QUEUE, deps.queue, {
    prefix: deps.queuePrefix,
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: false },
  });
}

/** Runs queued simulations; the job id is the simulation id. */
export function startSimulationWorker(rt: SettlementRuntime, deps: SubgraphDeps): JobWorker<SimulationJob, SimulationSummary | null> {
  const worker = createWorker<SimulationJob, SimulationSummary | null>(SIMULATION_QUEUE, (job) => performSimulation(rt, job.data.simulationId, (p) => job.updateProgress(p)), deps.queue, {
    prefix: deps.queuePrefix,
    concurrency: 1,
  });
  worker.on('failed', (job, err) => rt.log(`settlement: scheme simulation ${job?.data.simulationId} failed: ${err.message}`));
  return worker;
}
