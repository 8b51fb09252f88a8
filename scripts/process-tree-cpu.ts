/**
 * The CPU time a process tree used between two moments, from /proc (Linux only), for the load test.
 *
 * /proc/<pid>/stat gives a process's own user and system time (all its threads together) and the time of its children
 * that have exited and been waited for (cutime + cstime). Summed over a tree, own + reaped grows only by the CPU the
 * tree uses: when a child exits, its time moves into its parent's reaped time. So the CPU a tree used between two
 * snapshots is the difference of the two sums, processes that started and ended in between included. Not counted:
 * a process that left the tree (an orphan adopted by init) and a child whose parent has not waited for it yet.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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
  const byName = new Map<string, { processes: number; ticks: number }>();
  for (const sample of end) {
    const earlier = before.get(sample.pid);
    const sameProcess = earlier?.startTicks === sample.startTicks;
    const entry = byName.get(sample.name) ?? { processes: 0, ticks: 0 };
    entry.processes += 1;
    entry.ticks += sample.ownTicks - (sameProcess ? earlier!.ownTicks : 0);
    byName.set(sample.name, entry);
  }
  const totalTicks = sum(end) - sum(start);
  const runningTicks = [...byName.values()].reduce((total, entry) => total + entry.ticks, 0);
  return {
    totalSeconds: totalTicks / ticksPerSecond,
    running: [...byName]
      .map(([name, entry]) => ({ name, processes: entry.processes, seconds: entry.ticks / ticksPerSecond }))
      .sort((a, b) => b.seconds - a.seconds),
    endedSeconds: (totalTicks - runningTicks) / ticksPerSecond,
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
