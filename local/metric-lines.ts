/**
 * The functions' embedded-metric-format lines as a person reads them: `Escalations (Rule=utterance) 1`,
 * and totals per metric and dimension for the end of a run.
 */
interface Emf {
  readonly _aws: { readonly CloudWatchMetrics: readonly { readonly Dimensions: readonly (readonly string[])[]; readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

export interface MetricPoint {
  readonly name: string;
  /** The dimension besides `service`, as `Rule=utterance`; empty when none. */
  readonly dimension: string;
  readonly value: number;
  readonly unit: string;
}

/** Each metric in one line. */
export function metricPoints(line: string): MetricPoint[] {
  const emf = JSON.parse(line) as Emf;
  return emf._aws.CloudWatchMetrics.flatMap((set) => {
    const dimension = (set.Dimensions[0] ?? [])
      .filter((d) => d !== 'service')
      .map((d) => `${d}=${String(emf[d])}`)
      .join(',');
    return set.Metrics.map((m) => ({ name: m.Name, dimension, value: Number(emf[m.Name]), unit: m.Unit }));
  });
}

export function describePoint(point: MetricPoint): string {
  return `${point.name}${point.dimension ? ` (${point.dimension})` : ''} ${point.value}${point.unit === 'Seconds' ? ' s' : ''}`;
}

/** Counts summed, seconds as count / mean / max, per metric and dimension, in first-seen order. */
export function summarizeMetrics(lines: readonly string[]): string[] {
  const totals = new Map<string, { point: MetricPoint; count: number; sum: number; max: number }>();
  for (const point of lines.flatMap(metricPoints)) {
    const key = `${point.name}|${point.dimension}`;
    const seen = totals.get(key) ?? { point, count: 0, sum: 0, max: -Infinity };
    totals.set(key, { point, count: seen.count + 1, sum: seen.sum + point.value, max: Math.max(seen.max, point.value) });
  }
  return [...totals.values()].map(({ point, count, sum, max }) => {
    const label = `${point.name}${point.dimension ? ` (${point.dimension})` : ''}`;
    return point.unit === 'Seconds' ? `${label}: ${count} calls, mean ${(sum / count).toFixed(1)} s, max ${max.toFixed(1)} s` : `${label}: ${sum}`;
  });
}
