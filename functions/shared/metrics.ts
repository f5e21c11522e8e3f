import { createEmbeddedMetrics } from '../../lib/metrics/embedded-metrics.js';
import { logger } from './logger.js';

type Output = (line: string) => void;

/** Lambda sends stdout to CloudWatch Logs, which reads embedded-metric-format lines as metrics. */
let output: Output = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Sends the functions' metric lines elsewhere: the local stack, running these handlers on one machine, collects them. */
export function sendMetricsTo(write: Output): void {
  output = write;
}

/** One set of metrics per function, like its logger. */
export const metrics = createEmbeddedMetrics({
  service: process.env.POWERTOOLS_SERVICE_NAME ?? 'sentiment-ivr',
  log: logger,
  write: (line) => output(line),
});
