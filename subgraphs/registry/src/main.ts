import 'reflect-metadata';
import { runSubgraphServer } from '../../../infra/src/process';
import { registry } from './index';

runSubgraphServer(registry);
