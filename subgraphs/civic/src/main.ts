import 'reflect-metadata';
import { runSubgraphServer } from '@citypoints/process';
import { civic } from './index';

runSubgraphServer(civic);
