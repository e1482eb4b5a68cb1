import 'reflect-metadata';
import { runSubgraphServer } from '../../../infra/src/process';
import { enterpriseCredit } from './index';

runSubgraphServer(enterpriseCredit);
