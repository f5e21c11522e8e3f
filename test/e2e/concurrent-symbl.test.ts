import { fiftyConcurrentCallsUnder } from './concurrent-calls.js';

fiftyConcurrentCallsUnder('symbl');
