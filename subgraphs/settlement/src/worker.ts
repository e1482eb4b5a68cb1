import 'reflect-metadata';
import { runSubgraphWorker } from '../../../infra/src/process';
import { settlement } from './index';

runSubgraphWorker(settlement);
