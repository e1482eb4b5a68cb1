import 'reflect-metadata';
import { runSubgraphWorker } from '@citypoints/process';
import { civic } from './index';

runSubgraphWorker(civic);
