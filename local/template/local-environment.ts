/**
 * The identity of the local stack: one region, one account, one pair of dummy credentials that every local client,
 * function and server uses (DynamoDB Local runs with -sharedDb, and the S3 gate verifies POST signatures with them).
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_STACK_NAME = 'cognito-face-login';
export const LOCAL_CREDENTIALS = { accessKeyId: 'LOCALFACELOGINKEY', secretAccessKey: 'local-face-login-secret' } as const;

/** Default ports (docs/internals.md); every one can be overridden. */
export const DEFAULT_PORTS = {
  dynamodb: 8000,
  s3: 4569,
  rekognition: 4580,
  liveness: 4581,
  textract: 4582,
  cognito: 9229,
  ses: 4579,
  /** The first HTTP API of the template; more take the ports after it. */
  httpApi: 4583,
  app: 3000,
} as const;

export const LOCAL_HOST = '127.0.0.1';

/** Refuses a port another process already holds, before a server that cannot report it (the JVM) tries to bind. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  const { createServer } = await import('node:net');
  await new Promise<void>((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `${what}: port ${port} is already in use; pass another port or stop what holds it`
            : `${what}: ${error.message}`,
        ),
      ),
    );
    probe.listen(port, '0.0.0.0', () => probe.close(() => resolvePort()));
  });
}

/**
 * A port that is free right now, for a server that binds it a few seconds later (tests, internal servers). It is
 * drawn below Linux's ephemeral range (32768-60999), because a port the OS hands out for listen(0) comes from that
 * range and can be taken in the meantime by any outgoing connection on the machine.
 */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const canBind = (port: number) =>
    new Promise<boolean>((resolveBind) => {
      const probe = createServer();
      probe.once('error', () => resolveBind(false));
      probe.listen(port, LOCAL_HOST, () => probe.close(() => resolveBind(true)));
    });
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await canBind(port)) return port;
  }
  throw new Error('no free port found between 20000 and 32000 after 50 tries');
}
