/**
 * The small process that starts programs for ./process-launcher.ts. Starting a program forks the process that
 * starts it; this one holds a few tens of MB where the stack holds about 1.5 GB, so a fork here costs a quarter of
 * the CPU and stalls no event loop that answers requests. Each program's stdout and stdin are handed to the parent
 * over the IPC channel; its stderr is kept here (the start of it) and sent with its exit. Plain JavaScript: it runs
 * without the TypeScript loader, to stay small.
 */
import { spawn } from 'node:child_process';

/** The programs running, by the parent's id. */
const running = new Map();

process.on('message', (message) => {
  if (message.kill !== undefined) {
    running.get(message.kill)?.kill('SIGKILL');
    return;
  }
  const { id, command, args, stderrLimit } = message;
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  running.set(id, child);
  let stderr = '';
  child.stderr.on('data', (data) => {
    if (stderr.length < stderrLimit) stderr += data.toString('utf8');
  });
  // Not 'close': it waits for stdout and stdin, whose handles leave this process (Node closes them once the parent
  // has them). The exit and the end of stderr are all that is waited for here.
  const stderrEnded = new Promise((resolve) => child.stderr.once('close', resolve));
  child.once('exit', async (code, signal) => {
    await stderrEnded;
    running.delete(id);
    if (process.connected) process.send({ id, exit: { code, signal, stderr } });
  });
  // It did not start: say why, and hand nothing over.
  if (child.pid === undefined) {
    child.once('error', (error) => {
      running.delete(id);
      if (process.connected) process.send({ id, exit: { code: null, signal: null, stderr: '', failure: error.message } });
    });
    return;
  }
  // Node starts reading a child's stdout at once; here nothing may be read from it, or that output would be lost in
  // the handover. The parent reads it from the start.
  child.stdout._handle.readStop();
  process.send({ id, stream: 'stdout' }, child.stdout);
  process.send({ id, stream: 'stdin' }, child.stdin);
});

// The parent is gone: nothing it started may outlive it.
process.on('disconnect', () => {
  for (const child of running.values()) child.kill('SIGKILL');
  process.exit(0);
});
