/**
 * Starts programs from a small helper process (./process-launcher-helper.mjs) instead of from this one.
 *
 * Every `child_process.spawn` forks the calling process. The stack's process holds about 1.5 GB, so each fork
 * costs about 28 ms of its event loop, against about 7 ms in a small process. Fifty liveness videos starting
 * at once (each needs an ffmpeg) stalled the loop that answers the API for more than a trigger's 1.5 s AWS call
 * timeout.
 *
 * The helper starts the program and hands its stdout and stdin back over the IPC channel, so the bytes go straight
 * between this process and the program, as with spawn. Writes made before stdin arrives are held and then passed on.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';

const HELPER = new URL('./process-launcher-helper.mjs', import.meta.url);
/** The start of stderr is what says why a program failed; the rest is progress output. */
const STDERR_LIMIT = 64 * 1024;

export interface ProgramExit {
  /** null when the program was killed or did not start. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The start of what it wrote to stderr, up to 64 KB. */
  stderr: string;
  /** Why it did not start, or why the launcher lost it. */
  failure?: string;
}

export interface LaunchedProgram {
  /** Its input: written bytes are held until the program's stdin arrives from the helper. */
  readonly stdin: PassThrough;
  readonly stdout: PassThrough;
  /** Resolves once the program has exited and all of its stdout has been read out. */
  readonly exited: Promise<ProgramExit>;
  kill(): void;
}

type HelperMessage = { id: number; stream: 'stdout' | 'stdin' } | { id: number; exit: ProgramExit };

interface Running {
  stdin: PassThrough;
  stdout: PassThrough;
  /** The program's own pipe ends, once handed over: closed when it is settled. */
  pipes: Socket[];
  exit?: ProgramExit;
  stdoutEnded: boolean;
  settle(exit: ProgramExit): void;
}

export class ProcessLauncher {
  private helper: ChildProcess | undefined;
  private readonly running = new Map<number, Running>();
  private nextId = 0;
  private closed = false;

  /** Starts the helper now, so that the first program does not wait for it (and this process is forked while small). */
  start(): this {
    this.ensureHelper();
    return this;
  }

  launch(command: string, args: string[]): LaunchedProgram {
    if (this.closed) throw new Error('the process launcher is closed');
    const helper = this.ensureHelper();
    const id = this.nextId++;
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let settle!: (exit: ProgramExit) => void;
    const exited = new Promise<ProgramExit>((resolve) => (settle = resolve));
    const program: Running = { stdin, stdout, pipes: [], stdoutEnded: false, settle };
    this.running.set(id, program);
    // While a program runs, its exit is awaited here: the channel keeps this process alive until then.
    helper.channel?.ref();
    helper.send({ id, command, args, stderrLimit: STDERR_LIMIT });
    return {
      stdin,
      stdout,
      exited,
      kill: () => {
        if (this.running.has(id)) this.helper?.send({ kill: id });
      },
    };
  }

  /** The helper's pid while it runs: the parent of every program launched. */
  get helperPid(): number | undefined {
    return this.helper?.pid;
  }

  /** Kills the helper, and with it every program still running. */
  close(): void {
    this.closed = true;
    this.helper?.kill('SIGKILL');
  }

  private ensureHelper(): ChildProcess {
    if (this.helper) return this.helper;
    // No loader and no inspector flags of this process: the helper is plain JavaScript and should stay small.
    const helper = fork(HELPER, [], { execArgv: [], serialization: 'json', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    helper.on('message', (message: HelperMessage, handle?: Socket) => this.receive(message, handle));
    // A send to a helper that just died fails here; its 'exit' below fails the programs waiting on it.
    helper.on('error', () => undefined);
    helper.once('exit', (code, signal) => {
      this.helper = undefined;
      // The programs it started were killed with it (it kills them when the channel closes): each fails, and the
      // next launch starts a new helper.
      for (const [id, program] of this.running) {
        program.exit = { code: null, signal: null, stderr: '', failure: `the launcher exited (${code ?? signal})` };
        this.finish(id, program, true);
      }
    });
    // With no program running, a process that forgets close() still exits: the helper goes when the channel closes.
    helper.unref();
    helper.channel?.unref();
    this.helper = helper;
    return helper;
  }

  private receive(message: HelperMessage, handle: Socket | undefined): void {
    const program = this.running.get(message.id);
    if (!program) {
      handle?.destroy();
      return;
    }
    if ('exit' in message) {
      program.exit = message.exit;
      // A program that never started hands nothing over.
      this.finish(message.id, program, message.exit.failure !== undefined);
      return;
    }
    if (handle) program.pipes.push(handle);
    if (message.stream === 'stdout') {
      const ended = () => {
        program.stdoutEnded = true;
        this.finish(message.id, program);
      };
      program.stdout.once('end', ended).once('close', ended);
      if (!handle) program.stdout.end();
      else {
        handle.on('error', (error) => program.stdout.destroy(error));
        handle.pipe(program.stdout);
      }
    } else if (!handle) {
      // It exited before its input was handed over: what was written goes nowhere, as into a closed pipe; its exit
      // says what happened.
      program.stdin.destroy();
    } else {
      // Its stdin end carries nothing back; reading it only notices when the program closes it.
      handle.on('error', (error) => program.stdin.destroy(error)).resume();
      program.stdin.pipe(handle);
    }
  }

  /**
   * Settles a program once its exit and the end of its stdout have both come, or at once when it is lost (`lost`:
   * it never started, or the helper died). Then its pipe ends are closed.
   */
  private finish(id: number, program: Running, lost = false): void {
    if (!program.exit || !(lost || program.stdoutEnded)) return;
    if (!this.running.delete(id)) return;
    if (this.running.size === 0) this.helper?.channel?.unref();
    if (lost) {
      program.stdin.destroy();
      program.stdout.end();
    }
    for (const pipe of program.pipes) pipe.destroy();
    program.settle(program.exit);
  }
}
