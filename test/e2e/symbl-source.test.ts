import { everyScenarioUnder } from './scenarios.js';

everyScenarioUnder('symbl');
