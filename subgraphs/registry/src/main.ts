import 'reflect-metadata';
import { runSubgraphServer } from '@citypoints/process';
import { registry } from './index';

runSubgraphServer(registry);
