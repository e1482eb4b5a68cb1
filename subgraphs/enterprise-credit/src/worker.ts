import 'reflect-metadata';
import { runSubgraphWorker } from '@citypoints/process';
import { enterpriseCredit } from './index';

runSubgraphWorker(enterpriseCredit);
