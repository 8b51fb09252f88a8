/**
 * Plays CloudFormation's part for custom resources: sends the service-token function a Create request shaped as
 * CloudFormation sends it, with a ResponseURL served here, and waits for the function's PUT to it. SUCCESS records
 * the PhysicalResourceId and Data (for !Ref and !GetAtt); FAILED, no answer in time, or an invalid answer is a
 * precise startup error. Create is sent on every start: a custom resource handler must treat "already exists" as
 * done, which is what CloudFormation's retries demand of it anyway.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalDeployment } from './deployment';
import { LOCAL_HOST } from './local-environment';
import type { TemplateValue } from './load-template';
import type { CustomResourceWiring } from './wiring';

export interface CloudFormationResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, TemplateValue>;
}

/** Invokes the function asynchronously, as CloudFormation does; its result is ignored, only the PUT counts. */
export type InvokeServiceToken = (functionLogicalId: string, event: object) => Promise<void>;

export class CustomResourceError extends Error {
  override name = 'CustomResourceError';
}

function stackId(deployment: LocalDeployment): string {
  return deployment.resolve({ Ref: 'AWS::StackId' }) as string;
}

/** Serves ResponseURLs on loopback and hands each PUT answer to whoever waits for that request id. */
export class CloudFormationResponseServer {
  private readonly waiting = new Map<string, (response: CloudFormationResponse) => void>();
  private readonly server: Server;

  private constructor(
    private readonly port: number,
    server: Server,
  ) {
    this.server = server;
  }

  static async start(): Promise<CloudFormationResponseServer> {
    let instance: CloudFormationResponseServer | undefined;
    const server = createServer((req, res) => {
      const requestId = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const answer = instance?.waiting.get(requestId);
        if (req.method !== 'PUT' || !answer) {
          res.writeHead(403).end();
          return;
        }
        try {
          answer(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CloudFormationResponse);
          res.writeHead(200).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, LOCAL_HOST, resolve));
    instance = new CloudFormationResponseServer((server.address() as AddressInfo).port, server);
    return instance;
  }

  responseUrl(requestId: string): string {
    return `http://${LOCAL_HOST}:${this.port}/cloudformation-response/${encodeURIComponent(requestId)}`;
  }

  /**
   * Runs `invoke` and resolves with the answer PUT for `requestId`; rejects when none comes within `timeoutMs`
   * or when the invocation fails before answering.
   */
  async answer(requestId: string, timeoutMs: number, invoke: () => Promise<void>): Promise<CloudFormationResponse> {
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<CloudFormationResponse>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new CustomResourceError(`no answer to CloudFormation request ${requestId} within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      this.waiting.set(requestId, resolve);
    });
    try {
      return await Promise.race([answered, invoke().then(() => answered)]);
    } finally {
      clearTimeout(timer);
      this.waiting.delete(requestId);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export async function createCustomResources(
  deployment: LocalDeployment,
  resources: CustomResourceWiring[],
  invoke: InvokeServiceToken,
): Promise<void> {
  if (resources.length === 0) return;
  const responses = await CloudFormationResponseServer.start();
  try {
    for (const resource of resources) {
      const timeoutSeconds = deployment.wiring.functions[resource.serviceTokenFunction]?.timeoutSeconds ?? 60;
      const requestId = randomUUID();
      const properties = deployment.resolve(resource.properties) as Record<string, TemplateValue>;
      const event = {
        RequestType: 'Create',
        ServiceToken: properties.ServiceToken,
        ResponseURL: responses.responseUrl(requestId),
        StackId: stackId(deployment),
        RequestId: requestId,
        LogicalResourceId: resource.logicalId,
        ResourceType: resource.type,
        ResourceProperties: properties,
      };
      // The function's own timeout plus a margin for its last-moment answer.
      const response = await responses.answer(requestId, (timeoutSeconds + 5) * 1000, () => invoke(resource.serviceTokenFunction, event));
      if (response.RequestId !== requestId || response.LogicalResourceId !== resource.logicalId) {
        throw new CustomResourceError(
          `${resource.logicalId}: the answer names request ${response.RequestId} of ${response.LogicalResourceId}`,
        );
      }
      if (response.Status !== 'SUCCESS') {
        throw new CustomResourceError(`${resource.logicalId} (${resource.type}) failed to create: ${response.Reason ?? 'no reason given'}`);
      }
      if (typeof response.PhysicalResourceId !== 'string' || response.PhysicalResourceId === '') {
        throw new CustomResourceError(`${resource.logicalId}: the answer has no PhysicalResourceId`);
      }
      const data = Object.fromEntries(Object.entries(response.Data ?? {}).map(([name, value]) => [name, String(value)]));
      deployment.record(resource.logicalId, response.PhysicalResourceId, data);
    }
  } finally {
    await responses.close();
  }
}
