import { Metrics as Powertools, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Log } from '../log.js';
import { answerClass, dimensions, metricNames, metricsNamespace } from './metric-names.js';
import type { Metrics } from './metrics.js';

export interface EmbeddedMetricsOptions {
  readonly service: string;
  /** Where each embedded-metric-format line goes: in Lambda, stdout (CloudWatch Logs turns it into metrics). */
  readonly write: (line: string) => void;
  readonly log: Log;
}

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/**
 * Metrics as embedded metric format lines through Powertools: each count is its own line with
 * its own dimension, written when it happens (a call's facts are few; the webhook's answer is one).
 */
export function createEmbeddedMetrics(options: EmbeddedMetricsOptions): Metrics {
  const emf = new Powertools({ namespace: metricsNamespace, serviceName: options.service, logger: options.log });

  function put(name: string, unit: Unit, value: number, dimension?: readonly [string, string]): void {
    try {
      if (dimension) emf.addDimension(dimension[0], dimension[1]);
      emf.addMetric(name, unit, value);
      options.write(JSON.stringify(emf.serializeMetrics()));
    } catch (error) {
      // Counting is never worth failing a call over.
      options.log.warn('metric not published', { metric: name, error: error instanceof Error ? error.message : String(error) });
    } finally {
      emf.clearMetrics();
      emf.clearDimensions();
    }
  }

  return {
    facts(facts) {
      for (const fact of facts) {
        switch (fact.kind) {
          case 'escalation':
            put(metricNames.escalations, MetricUnit.Count, 1, [dimensions.rule, fact.rule]);
            break;
          case 'operator-connected':
            put(metricNames.secondsToOperator, MetricUnit.Seconds, fact.secondsFromEscalation);
            break;
          case 'operator-attempt':
            put(metricNames.operatorAttempts, MetricUnit.Count, 1, [dimensions.outcome, fact.outcome]);
            break;
          case 'ended-without-operator':
            put(metricNames.endedWithoutOperator, MetricUnit.Count, 1);
            break;
          case 'shadow-disagreement':
            put(metricNames.shadowDisagreements, MetricUnit.Count, 1, [dimensions.change, fact.change]);
            break;
        }
      }
    },
    webhookAnswer(status) {
      put(metricNames.webhookAnswers, MetricUnit.Count, 1, [dimensions.answer, answerClass(status)]);
    },
    scorerFellBack(reason) {
      put(metricNames.scorerFallbacks, MetricUnit.Count, 1, [dimensions.reason, reason]);
    },
  };
}
