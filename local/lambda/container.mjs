// The runtime inside one warm Lambda "container" (a worker thread with its own process.env), playing the part of
// Lambda's Node.js runtime interface: imports the function's esbuild bundle once (the init phase), then runs one
// invocation at a time with a Lambda-shaped context, formats console output as Lambda does
// (`<time>\t<requestId>\t<LEVEL>\t<message>`), and forwards every byte written to stdout/stderr to the runner,
// in order with the result, so each invocation's logs are exactly its own.
// Plain JavaScript on purpose: it is loaded by `new Worker(...)` in any host (tsx, jest), without a TS loader.
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

/**
 * @type {{ bundlePath: string, handlerExport: string, functionName: string, threadName: string, functionArn: string,
 *   memorySizeMb: number, logGroupName: string, logStreamName: string }}
 */
const spec = workerData;

// The runner's name for this thread (local/thread-names.ts), so that its CPU shows apart in /proc, top -H and
// bench:stack. Synchronous: an asynchronous write would name a libuv threadpool thread.
try {
  writeFileSync('/proc/thread-self/comm', spec.threadName);
} catch {
  // Not Linux, or not permitted: the thread keeps its name.
}

let currentRequestId = 'INIT';

for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, encoding, callback) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    parentPort.postMessage({ type: 'log', text });
    const done = typeof encoding === 'function' ? encoding : callback;
    if (done) done();
    return true;
  };
}

const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
for (const [method, level] of Object.entries(levels)) {
  console[method] = (...args) => {
    process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${format(...args)}\n`);
  };
}

function errorPayload(error) {
  if (error instanceof Error) {
    return { errorType: error.name || 'Error', errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: 'string', errorMessage: typeof error === 'string' ? error : JSON.stringify(error), trace: [] };
}

const initStarted = performance.now();
let handler;
try {
  const module = await import(pathToFileURL(spec.bundlePath).href);
  handler = module[spec.handlerExport];
  if (typeof handler !== 'function') {
    const error = new Error(`${spec.bundlePath} does not export a function named ${spec.handlerExport}`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  parentPort.postMessage({ type: 'ready', initDurationMs: performance.now() - initStarted });
} catch (error) {
  const payload = errorPayload(error);
  if (payload.errorType !== 'Runtime.HandlerNotFound') payload.errorType = 'Runtime.ImportModuleError';
  parentPort.postMessage({ type: 'init-error', error: payload });
}

parentPort.on('message', async (message) => {
  if (message.type !== 'invoke' || !handler) return;
  // Events and results cross the boundary as JSON, as they do on Lambda.
  const { requestId, deadline } = message;
  const event = JSON.parse(message.eventJson);
  currentRequestId = requestId;
  const context = {
    awsRequestId: requestId,
    functionName: spec.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: spec.functionArn,
    memoryLimitInMB: String(spec.memorySizeMb),
    logGroupName: spec.logGroupName,
    logStreamName: spec.logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const payload = await handler(event, context);
    parentPort.postMessage({ type: 'result', requestId, payloadJson: JSON.stringify(payload ?? null) });
  } catch (error) {
    const payload = errorPayload(error);
    process.stdout.write(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(payload)}\n`);
    parentPort.postMessage({ type: 'error', requestId, error: payload });
  } finally {
    currentRequestId = 'INIT';
  }
});
