import 'reflect-metadata';
import { runSubgraphServer } from '@citypoints/process';
import { settlement } from './index';

runSubgraphServer(settlement);
