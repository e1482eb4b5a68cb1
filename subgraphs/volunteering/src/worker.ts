import 'reflect-metadata';
import { runSubgraphWorker } from '../../../infra/src/process';
import { volunteering } from './index';

runSubgraphWorker(volunteering);
