import 'reflect-metadata';
import { runSubgraphServer } from '../../../infra/src/process';
import { settlement } from './index';

runSubgraphServer(settlement);
