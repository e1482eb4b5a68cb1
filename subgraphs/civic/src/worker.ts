import 'reflect-metadata';
import { runSubgraphWorker } from '../../../infra/src/process';
import { civic } from './index';

runSubgraphWorker(civic);
