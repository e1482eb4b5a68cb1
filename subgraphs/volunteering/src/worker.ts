import 'reflect-metadata';
import { runSubgraphWorker } from '@citypoints/process';
import { volunteering } from './index';

runSubgraphWorker(volunteering);
