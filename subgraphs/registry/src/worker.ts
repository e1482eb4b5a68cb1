import 'reflect-metadata';
import { runSubgraphWorker } from '@citypoints/process';
import { registry } from './index';

runSubgraphWorker(registry);
