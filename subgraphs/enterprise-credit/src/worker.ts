import 'reflect-metadata';
import { runSubgraphWorker } from '../../../infra/src/process';
import { enterpriseCredit } from './index';

runSubgraphWorker(enterpriseCredit);
