import { everyScenarioUnder } from './scenarios.js';

everyScenarioUnder('telnyx');
