/**
 * The CPU time a process tree used between two moments, from /proc (Linux only), for the load test.
 *
 * /proc/<pid>/stat gives a process's own user and system time (all its threads together) and the time of its children
 * that have exited and been waited for (cutime + cstime). Summed over a tree, own + reaped grows only by the CPU the
 * tree uses: when a child exits, its time moves into its parent's reaped time. So the CPU a tree used between two
 * snapshots is the difference of the two sums, processes that started and ended in between included. Not counted:
 * a process that left the tree (an orphan adopted by init) and a child whose parent has not waited for it yet.
 *
 * Within one process the same holds for threads: /proc/<pid>/task/<tid>/stat has a thread's own time, laid out as a
 * process's, and the process's own time keeps what its ended threads used. So the CPU of one process splits by thread:
 * the main thread (tid == pid), the others still running by kind, and the threads that ended in between.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FACE_WORKER_THREAD_NAME, LAMBDA_CONTAINER_THREAD_PREFIX } from '../local/thread-names';

export interface ProcessSample {
  pid: number;
  ppid: number;
  /** The executable's name as the kernel keeps it (comm, at most 15 characters). */
  name: string;
  /** Start time in clock ticks since boot: with the pid, it tells a process from a later one that reuses the pid. */
  startTicks: number;
  /** utime + stime: the process's own CPU, every thread included. */
  ownTicks: number;
  /** cutime + cstime: its children that have exited and been waited for, their own children included. */
  reapedTicks: number;
}

/** Every process at one moment, by pid. */
export type ProcessTable = Map<number, ProcessSample>;

/** One line of /proc/<pid>/stat. The name is in parentheses and may itself hold spaces and parentheses. */
export function parseStat(line: string): ProcessSample {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: '${line.slice(0, 80)}'`);
  // Fields from the third (state) on; field n of proc(5) is at index n - 3.
  const fields = line
    .slice(close + 2)
    .trim()
    .split(' ');
  const field = (n: number) => {
    const value = Number(fields[n - 3]);
    if (!Number.isInteger(value)) throw new Error(`field ${n} of a /proc/<pid>/stat line is not a number: '${line.slice(0, 80)}'`);
    return value;
  };
  return {
    pid: Number(line.slice(0, open).trim()),
    ppid: field(4),
    name: line.slice(open + 1, close),
    startTicks: field(22),
    ownTicks: field(14) + field(15),
    reapedTicks: field(16) + field(17),
  };
}

/** Every process's stat; one that ends while the folder is read is skipped. */
export function readProcessTable(procDir = '/proc'): ProcessTable {
  const table: ProcessTable = new Map();
  for (const entry of readdirSync(procDir)) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(join(procDir, entry, 'stat'), 'utf8');
    } catch {
      continue;
    }
    const sample = parseStat(text);
    table.set(sample.pid, sample);
  }
  return table;
}

/** `root` and its descendants, leaving out the subtrees of `exclude`. */
export function processTree(table: ProcessTable, root: number, exclude: readonly number[] = []): ProcessSample[] {
  const children = new Map<number, ProcessSample[]>();
  for (const sample of table.values()) {
    const siblings = children.get(sample.ppid);
    if (siblings) siblings.push(sample);
    else children.set(sample.ppid, [sample]);
  }
  const rootSample = table.get(root);
  if (!rootSample) return [];
  const tree: ProcessSample[] = [];
  const pending = [rootSample];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (exclude.includes(next.pid)) continue;
    tree.push(next);
    pending.push(...(children.get(next.pid) ?? []));
  }
  return tree;
}

export interface TreeCpu {
  /** Every process of the tree, those that ended in between included. */
  totalSeconds: number;
  /** The own CPU of the processes still running at the end, by name, with how many processes share the name. */
  running: Array<{ name: string; processes: number; seconds: number }>;
  /** What the processes that ended in between used after the first snapshot (the total less `running`). */
  endedSeconds: number;
}

/** The CPU the tree under `root` used from `before` to `after`; throws if `root` is in neither. */
export function treeCpuBetween(
  before: ProcessTable,
  after: ProcessTable,
  root: number,
  options: { exclude?: readonly number[]; ticksPerSecond?: number } = {},
): TreeCpu {
  const ticksPerSecond = options.ticksPerSecond ?? clockTicksPerSecond();
  const [start, end] = [processTree(before, root, options.exclude), processTree(after, root, options.exclude)];
  if (start.length === 0 || end.length === 0) throw new Error(`process ${root} is not running`);
  const sum = (tree: ProcessSample[]) => tree.reduce((total, sample) => total + sample.ownTicks + sample.reapedTicks, 0);
  const byName = ownTicksBy(end, before, (sample) => sample.name);
  const totalTicks = sum(end) - sum(start);
  return {
    totalSeconds: totalTicks / ticksPerSecond,
    running: [...byName]
      .map(([name, entry]) => ({ name, processes: entry.count, seconds: entry.ticks / ticksPerSecond }))
      .sort((a, b) => b.seconds - a.seconds),
    endedSeconds: (totalTicks - sumTicks(byName)) / ticksPerSecond,
  };
}

/** The own CPU a process or thread used since `before`: all it has used if it was not there (or its id was another's). */
function ownTicksSince(before: ProcessTable, sample: ProcessSample): number {
  const earlier = before.get(sample.pid);
  return sample.ownTicks - (earlier?.startTicks === sample.startTicks ? earlier.ownTicks : 0);
}

/** ownTicksSince summed by a key of each sample, with how many samples share the key. */
function ownTicksBy(
  samples: Iterable<ProcessSample>,
  before: ProcessTable,
  keyOf: (sample: ProcessSample) => string,
): Map<string, { count: number; ticks: number }> {
  const byKey = new Map<string, { count: number; ticks: number }>();
  for (const sample of samples) {
    const entry = byKey.get(keyOf(sample)) ?? { count: 0, ticks: 0 };
    entry.count += 1;
    entry.ticks += ownTicksSince(before, sample);
    byKey.set(keyOf(sample), entry);
  }
  return byKey;
}

const sumTicks = (byKey: Map<string, { ticks: number }>) => [...byKey.values()].reduce((total, entry) => total + entry.ticks, 0);

/** One process and its threads at one moment; a thread's sample holds its thread id (tid) as `pid`. */
export interface ThreadSnapshot {
  process: ProcessSample;
  threads: ProcessTable;
}

/** /proc/<pid>/stat and every /proc/<pid>/task/<tid>/stat; undefined when the process is gone or there is no /proc. */
export function readThreads(pid: number, procDir = '/proc'): ThreadSnapshot | undefined {
  try {
    return {
      process: parseStat(readFileSync(join(procDir, String(pid), 'stat'), 'utf8')),
      threads: readProcessTable(join(procDir, String(pid), 'task')),
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== undefined) return undefined;
    throw error;
  }
}

/**
 * What a thread other than the main one is, by its name: a face worker or a Lambda container (the stack's workers name
 * themselves, local/thread-names.ts), a thread no one named (it has the name of the thread that started it, the main
 * one's), or a thread a library named (libvips's `libvips worker`), under that name.
 */
export function threadKind(name: string, mainThreadName: string): string {
  if (name === FACE_WORKER_THREAD_NAME) return 'face workers';
  if (name.startsWith(LAMBDA_CONTAINER_THREAD_PREFIX)) return 'Lambda containers';
  if (name === mainThreadName) return `unnamed ${name} threads`;
  return name;
}

export interface ThreadCpu {
  /** The process's own CPU: every thread, those that ended in between included. */
  totalSeconds: number;
  /** The main thread's (tid == pid): a node process's event loop. */
  mainSeconds: number;
  /** The other threads running at the end, by threadKind, with how many threads are of each kind. */
  running: Array<{ kind: string; threads: number; seconds: number }>;
  /** What the threads that ended in between used after the first snapshot (the total less the running threads'). */
  endedSeconds: number;
}

/**
 * The CPU one process used from `before` to `after`, by thread. Each thread's time is in whole ticks, so the ended
 * threads' share is exact only to about a tick per thread. Throws if the snapshots are of two processes.
 */
export function threadCpuBetween(before: ThreadSnapshot, after: ThreadSnapshot, options: { ticksPerSecond?: number } = {}): ThreadCpu {
  const ticksPerSecond = options.ticksPerSecond ?? clockTicksPerSecond();
  const { pid, startTicks } = after.process;
  if (before.process.pid !== pid || before.process.startTicks !== startTicks)
    throw new Error(`the thread snapshots are of two processes (${before.process.pid} and ${pid})`);
  const main = after.threads.get(pid);
  const mainTicks = main ? ownTicksSince(before.threads, main) : 0;
  const others = [...after.threads.values()].filter((thread) => thread.pid !== pid);
  const byKind = ownTicksBy(others, before.threads, (thread) => threadKind(thread.name, main?.name ?? after.process.name));
  const totalTicks = after.process.ownTicks - before.process.ownTicks;
  return {
    totalSeconds: totalTicks / ticksPerSecond,
    mainSeconds: mainTicks / ticksPerSecond,
    running: [...byKind]
      .map(([kind, entry]) => ({ kind, threads: entry.count, seconds: entry.ticks / ticksPerSecond }))
      .sort((a, b) => b.seconds - a.seconds),
    // The process's total and its threads are read a moment apart: a tick or two more in the threads is not negative time.
    endedSeconds: Math.max(0, totalTicks - mainTicks - sumTicks(byKind)) / ticksPerSecond,
  };
}

/** USER_HZ, the unit of /proc's times: 100 on every common Linux, asked of getconf to be sure. */
export function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(ticks) && ticks > 0) return ticks;
  } catch {
    // No getconf: the kernel's fixed value on every architecture Node runs on.
  }
  return 100;
}
