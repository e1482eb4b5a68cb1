import 'reflect-metadata';
import { runSubgraphWorker } from '../../../infra/src/process';
import { registry } from './index';

runSubgraphWorker(registry);
