import { fuzzMutations } from './fuzz-mutations';

fuzzMutations(2, 2);
