/**
 * Attack visibility: one CloudWatch metric (EMF, through Powertools) per verdict, with the reason as a dimension,
 * so a spike of lockouts or duplicate faces can raise an alarm (template.yaml) without reading logs.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'CognitoFaceLogin';

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'cognito-face-login',
});

export type VerdictMetric =
  | 'EnrollmentAccepted'
  | 'EnrollmentRejected'
  | 'EnrollmentConfirmed'
  | 'EnrollmentReplaced'
  | 'AccountDeleted'
  | 'LivenessPassed'
  | 'LivenessFailed'
  | 'Lockout'
  | 'LivenessChallenge'
  | 'EmailCodeSent'
  | 'EmailCodeAskedAgain'
  | 'EmailCodeFailed';

/** Counts one verdict now (a single-metric EMF line), with its reason as the `reason` dimension. */
export function countVerdict(name: VerdictMetric, reason?: string): void {
  const single = metrics.singleMetric();
  if (reason) single.addDimension('reason', reason);
  single.addMetric(name, MetricUnit.Count, 1);
}
