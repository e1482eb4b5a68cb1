import 'reflect-metadata';
import { runSubgraphWorker } from '@citypoints/process';
import { settlement } from './index';

runSubgraphWorker(settlement);
