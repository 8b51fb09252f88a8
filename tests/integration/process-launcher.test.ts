/** Programs started from the launcher's helper process, with their output and input handed back to this one. */
import { createHash, randomBytes } from 'node:crypto';
import { ProcessLauncher, type LaunchedProgram } from '../../local/process-launcher';

let launcher: ProcessLauncher;
beforeEach(() => {
  launcher = new ProcessLauncher().start();
});
afterEach(() => launcher.close());

function outputOf(program: LaunchedProgram): Promise<Buffer> {
  const chunks: Buffer[] = [];
  program.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  return program.exited.then(() => Buffer.concat(chunks));
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test('runs each program as a child of its helper, not of this process', async () => {
  const program = launcher.launch('sh', ['-c', 'echo $PPID']);
  program.stdin.end();
  const parent = Number(String(await outputOf(program)).trim());
  expect(parent).toBe(launcher.helperPid);
  expect(parent).not.toBe(process.pid);
});

test('passes on input written before the program has started, and hands back all of its output in order', async () => {
  const input = randomBytes(3 * 1024 * 1024);
  const program = launcher.launch('cat', []);
  program.stdin.end(input);
  const output = await outputOf(program);
  expect(output.length).toBe(input.length);
  expect(sha256(output)).toBe(sha256(input));
  expect(await program.exited).toEqual({ code: 0, signal: null, stderr: '' });
});

test("reports a program's exit code and what it wrote to stderr", async () => {
  const program = launcher.launch('sh', ['-c', 'echo "no such stream" >&2; exit 3']);
  program.stdin.end();
  await outputOf(program);
  expect(await program.exited).toEqual({ code: 3, signal: null, stderr: 'no such stream\n' });
});

test('a program that cannot start exits with the reason, and its streams end', async () => {
  const program = launcher.launch('/nonexistent/program', []);
  program.stdin.on('error', () => undefined);
  program.stdin.end('input');
  const exit = await program.exited;
  expect(exit).toMatchObject({ code: null, failure: expect.stringContaining('ENOENT') });
  expect(await outputOf(program)).toEqual(Buffer.alloc(0));
});

test('kills a running program', async () => {
  const program = launcher.launch('sleep', ['30']);
  const output = outputOf(program);
  await new Promise((resolve) => setTimeout(resolve, 200));
  program.kill();
  expect(await program.exited).toMatchObject({ code: null, signal: 'SIGKILL' });
  await output;
});

test('fails the running programs when the helper dies, and starts a new helper for the next', async () => {
  const running = launcher.launch('sleep', ['30']);
  const output = outputOf(running);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const first = launcher.helperPid!;
  process.kill(first, 'SIGKILL');
  expect(await running.exited).toMatchObject({ code: null, failure: expect.stringContaining('the launcher exited') });
  await output;

  const next = launcher.launch('sh', ['-c', 'echo $PPID']);
  next.stdin.end();
  const parent = Number(String(await outputOf(next)).trim());
  expect(parent).toBe(launcher.helperPid);
  expect(parent).not.toBe(first);
});

test('closing it kills the programs still running', async () => {
  const program = launcher.launch('sleep', ['30']);
  const output = outputOf(program);
  await new Promise((resolve) => setTimeout(resolve, 200));
  launcher.close();
  expect(await program.exited).toMatchObject({ code: null });
  await output;
  expect(() => launcher.launch('true', [])).toThrow('closed');
});
