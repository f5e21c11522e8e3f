import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger per function; call ids go in each line, phone numbers are masked by callers. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'sentiment-ivr' });
