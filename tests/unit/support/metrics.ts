/**
 * The verdict metrics the functions emit. Metrics are disabled in unit tests (POWERTOOLS_METRICS_DISABLED), so the
 * single-metric calls of `countVerdict` are observed on Metrics.prototype instead of in EMF output.
 */
import { jest } from '@jest/globals';
import { Metrics } from '@aws-lambda-powertools/metrics';

export interface CountedMetric {
  name: string;
  reason?: string;
}

/** Records every metric added from now on, with the `reason` dimension of the metric it was added to. */
export function watchMetrics(): CountedMetric[] {
  const counted: CountedMetric[] = [];
  const reasons = new WeakMap<object, string>();
  jest.spyOn(Metrics.prototype, 'addDimension').mockImplementation(function (this: Metrics, name: string, value: string) {
    if (name === 'reason') reasons.set(this, value);
    return this;
  });
  jest.spyOn(Metrics.prototype, 'addMetric').mockImplementation(function (this: Metrics, name: string) {
    const reason = reasons.get(this);
    counted.push(reason === undefined ? { name } : { name, reason });
    return this;
  });
  return counted;
}
