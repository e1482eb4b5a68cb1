import 'reflect-metadata';
import { runSubgraphServer } from '@citypoints/process';
import { enterpriseCredit } from './index';

runSubgraphServer(enterpriseCredit);
