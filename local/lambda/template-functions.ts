/**
 * Registers template.yaml's functions with a LambdaRunner: name and ARN as CloudFormation would give them, the
 * bundle of their CodeUri folder, Handler, Timeout, MemorySize, and the environment resolved by the deployment
 * plus the runtime's and the local endpoints.
 */
import { join } from 'node:path';
import type { LocalDeployment } from '../template/deployment';
import { lambdaEnvironment, type LocalEndpoints } from './environment';
import type { LambdaRunner } from './runner';

export function registerTemplateFunction(
  runner: LambdaRunner,
  deployment: LocalDeployment,
  logicalId: string,
  { endpoints, distDir }: { endpoints: LocalEndpoints; distDir: string },
): void {
  const wiring = deployment.wiring.functions[logicalId];
  if (!wiring) {
    throw new Error(`${logicalId} is not a function in template.yaml (functions: ${Object.keys(deployment.wiring.functions).join(', ')})`);
  }
  const spec = {
    logicalId,
    functionName: deployment.ref(logicalId),
    functionArn: deployment.getAtt(logicalId, 'Arn'),
    bundlePath: join(distDir, 'functions', wiring.bundleFolder, 'index.mjs'),
    handlerExport: wiring.handlerExport,
    timeoutSeconds: wiring.timeoutSeconds,
    memorySizeMb: wiring.memorySizeMb,
  };
  const environment = lambdaEnvironment(spec, deployment.options.region, endpoints, deployment.functionEnvironment(logicalId));
  runner.register({ ...spec, environment });
}
