import { fiftyConcurrentCallsUnder } from './concurrent-calls.js';

fiftyConcurrentCallsUnder('telnyx');
