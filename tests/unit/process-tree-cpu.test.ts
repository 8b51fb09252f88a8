import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseStat,
  processTree,
  readProcessTable,
  readThreads,
  threadCpuBetween,
  threadKind,
  treeCpuBetween,
  type ProcessTable,
  type ThreadSnapshot,
} from '../../scripts/process-tree-cpu';

interface FakeProcess {
  pid: number;
  ppid: number;
  name: string;
  /** utime, stime, cutime, cstime in ticks. */
  times: [number, number, number, number];
  startTicks?: number;
}

/** A /proc/<pid>/stat line as proc(5) lays it out: the times are fields 14-17, the start time field 22. */
function statLine({ pid, ppid, name, times, startTicks = 1000 }: FakeProcess): string {
  const fields5to13 = '0 0 0 0 -1 4194304 0 0 0';
  return `${pid} (${name}) S ${ppid} ${fields5to13} ${times.join(' ')} 20 0 1 0 ${startTicks} 3133440 410 18446744073709551615\n`;
}

/** A temporary folder shaped like /proc: one folder per pid with its stat file, and entries that are not processes. */
function fakeProc(processes: FakeProcess[]): { dir: string; table: ProcessTable } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-proc-'));
  for (const process of processes) {
    mkdirSync(join(dir, String(process.pid)));
    writeFileSync(join(dir, String(process.pid), 'stat'), statLine(process));
  }
  mkdirSync(join(dir, 'sys'));
  writeFileSync(join(dir, 'uptime'), '20000.00 39000.00\n');
  // A process that has ended between listing the folder and reading its stat.
  mkdirSync(join(dir, '999'));
  return { dir, table: readProcessTable(dir) };
}

const TICKS = { ticksPerSecond: 100 };
const dirs: string[] = [];
function snapshot(processes: FakeProcess[]): ProcessTable {
  const { dir, table } = fakeProc(processes);
  dirs.push(dir);
  return table;
}
/** A folder shaped like /proc holding one process: its stat, and each thread's stat in task/<tid>/. */
function threadSnapshot(owner: FakeProcess, threads: FakeProcess[]): ThreadSnapshot {
  const dir = mkdtempSync(join(tmpdir(), 'fake-proc-'));
  dirs.push(dir);
  const processDir = join(dir, String(owner.pid));
  mkdirSync(join(processDir, 'task'), { recursive: true });
  writeFileSync(join(processDir, 'stat'), statLine(owner));
  for (const thread of threads) {
    mkdirSync(join(processDir, 'task', String(thread.pid)));
    writeFileSync(join(processDir, 'task', String(thread.pid), 'stat'), statLine(thread));
  }
  return readThreads(owner.pid, dir)!;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const init: FakeProcess = { pid: 1, ppid: 0, name: 'init', times: [500, 500, 0, 0] };
const bench: FakeProcess = { pid: 10, ppid: 1, name: 'node', times: [300, 100, 0, 0] };
const stack: FakeProcess = { pid: 20, ppid: 10, name: 'node', times: [1000, 200, 0, 0] };
const java: FakeProcess = { pid: 30, ppid: 20, name: 'java', times: [400, 100, 0, 0] };
const ffmpeg: FakeProcess = { pid: 40, ppid: 20, name: 'ffmpeg', times: [50, 10, 0, 0] };
const unrelated: FakeProcess = { pid: 50, ppid: 1, name: 'other job', times: [9000, 0, 0, 0] };

describe('reading /proc', () => {
  it('reads a stat line whose name holds spaces and parentheses', () => {
    const sample = parseStat(statLine({ pid: 7, ppid: 3, name: 'a (b) c', times: [11, 12, 13, 14], startTicks: 4242 }));
    expect(sample).toEqual({ pid: 7, ppid: 3, name: 'a (b) c', startTicks: 4242, ownTicks: 23, reapedTicks: 27 });
  });

  it('refuses a line that is not a stat line', () => {
    expect(() => parseStat('7 no name here')).toThrow(/not a \/proc\/<pid>\/stat line/);
  });

  it('reads every process folder, skipping other entries and a process that ended while it was read', () => {
    const table = snapshot([init, bench, stack]);
    expect([...table.keys()].sort((a, b) => a - b)).toEqual([1, 10, 20]);
  });

  it('takes a process tree as the root and all its descendants, and nothing else', () => {
    const table = snapshot([init, bench, stack, java, ffmpeg, unrelated]);
    expect(
      processTree(table, 10)
        .map((sample) => sample.pid)
        .sort((a, b) => a - b),
    ).toEqual([10, 20, 30, 40]);
  });

  it('leaves out the subtrees it is told to exclude', () => {
    const table = snapshot([init, bench, stack, java, ffmpeg]);
    expect(processTree(table, 10, [20]).map((sample) => sample.pid)).toEqual([10]);
  });
});

describe('the CPU a process tree used between two snapshots', () => {
  it('is the growth of every running process own time, by name', () => {
    const before = snapshot([init, stack, java]);
    const after = snapshot([
      { ...init, times: [900, 900, 0, 0] },
      { ...stack, times: [1150, 250, 0, 0] },
      { ...java, times: [420, 110, 0, 0] },
    ]);
    expect(treeCpuBetween(before, after, 20, TICKS)).toEqual({
      totalSeconds: 2.3,
      running: [
        { name: 'node', processes: 1, seconds: 2 },
        { name: 'java', processes: 1, seconds: 0.3 },
      ],
      endedSeconds: 0,
    });
  });

  it('counts a child that ended in between through its parent, only for its time after the first snapshot', () => {
    const before = snapshot([stack, ffmpeg]);
    // ffmpeg used 60 ticks before and 90 in all: its parent waited for it and now holds its 90 as reaped time.
    const after = snapshot([{ ...stack, times: [1000, 200, 80, 10] }]);
    expect(treeCpuBetween(before, after, 20, TICKS)).toMatchObject({ totalSeconds: 0.3, endedSeconds: 0.3 });
  });

  it('counts in full a child that started and ended in between', () => {
    const before = snapshot([stack]);
    const after = snapshot([{ ...stack, times: [1000, 200, 120, 30] }]);
    expect(treeCpuBetween(before, after, 20, TICKS)).toMatchObject({ totalSeconds: 1.5, endedSeconds: 1.5 });
  });

  it('counts in full a child that started in between and is still running', () => {
    const before = snapshot([stack]);
    const after = snapshot([stack, { ...ffmpeg, times: [70, 5, 0, 0] }]);
    expect(treeCpuBetween(before, after, 20, TICKS)).toMatchObject({
      totalSeconds: 0.75,
      running: [
        { name: 'ffmpeg', processes: 1, seconds: 0.75 },
        { name: 'node', processes: 1, seconds: 0 },
      ],
    });
  });

  it('does not take a new process that reuses an ended one pid for the same process', () => {
    const before = snapshot([stack, ffmpeg]);
    const reused = { ...ffmpeg, times: [20, 5, 0, 0] as FakeProcess['times'], startTicks: 5000 };
    // The parent waited for the first ffmpeg (60 ticks in all) and started another with the same pid.
    const after = snapshot([{ ...stack, times: [1000, 200, 50, 10] }, reused]);
    expect(treeCpuBetween(before, after, 20, TICKS)).toMatchObject({
      totalSeconds: 0.25,
      running: [
        { name: 'ffmpeg', processes: 1, seconds: 0.25 },
        { name: 'node', processes: 1, seconds: 0 },
      ],
      endedSeconds: 0,
    });
  });

  it('leaves out an excluded subtree', () => {
    const before = snapshot([bench, stack]);
    const after = snapshot([
      { ...bench, times: [310, 100, 0, 0] },
      { ...stack, times: [5000, 200, 0, 0] },
    ]);
    expect(treeCpuBetween(before, after, 10, { ...TICKS, exclude: [20] }).totalSeconds).toBe(0.1);
  });

  it('fails when the root process is not running', () => {
    const table = snapshot([init]);
    expect(() => treeCpuBetween(table, table, 20, TICKS)).toThrow('process 20 is not running');
  });
});

describe('the CPU one process used between two snapshots, by thread', () => {
  /** A thread of the stack process (pid 20): its own times only. */
  const thread = (tid: number, name: string, ticks: number, startTicks = 1000): FakeProcess => ({
    pid: tid,
    ppid: 10,
    name,
    times: [ticks, 0, 0, 0],
    startTicks,
  });
  /** The stack process whose own time, every thread's that ran in it included, is `ticks`. */
  const stackAt = (ticks: number): FakeProcess => ({ ...stack, times: [ticks, 0, 0, 0] });

  it('reads a process and each of its threads from /proc/<pid>/task', () => {
    const snapshot = threadSnapshot(stackAt(300), [thread(20, 'node', 200), thread(21, 'face-worker', 100)]);
    expect(snapshot.process.ownTicks).toBe(300);
    const threads = [...snapshot.threads.values()].sort((a, b) => a.pid - b.pid);
    expect(threads.map(({ pid, name }) => ({ pid, name }))).toEqual([
      { pid: 20, name: 'node' },
      { pid: 21, name: 'face-worker' },
    ]);
  });

  it('reads no snapshot of a process that is not running', () => {
    const emptyProc = mkdtempSync(join(tmpdir(), 'empty-proc-'));
    dirs.push(emptyProc);
    expect(readThreads(20, emptyProc)).toBeUndefined();
  });

  it('counts the thread whose id is the pid as the main thread, apart from the others of its name', () => {
    const before = threadSnapshot(stackAt(300), [thread(20, 'node', 200), thread(22, 'node', 100)]);
    const after = threadSnapshot(stackAt(600), [thread(20, 'node', 450), thread(22, 'node', 150)]);
    expect(threadCpuBetween(before, after, TICKS)).toEqual({
      totalSeconds: 3,
      mainSeconds: 2.5,
      running: [{ kind: 'unnamed node threads', threads: 1, seconds: 0.5 }],
      endedSeconds: 0,
    });
  });

  it('sums the threads of one kind and counts them', () => {
    // Thread id, name, and the ticks it used between the snapshots (none before).
    const named: Array<[number, string, number]> = [
      [21, 'face-worker', 300],
      [22, 'face-worker', 400],
      [23, 'fn:VerifyAuthCh', 100],
      [24, 'fn:PreSignUp', 50],
      [25, 'libvips worker', 100],
    ];
    const before = threadSnapshot(stackAt(100), [thread(20, 'node', 100), ...named.map(([tid, name]) => thread(tid, name, 0))]);
    const after = threadSnapshot(stackAt(1050), [thread(20, 'node', 100), ...named.map(([tid, name, ticks]) => thread(tid, name, ticks))]);
    expect(threadCpuBetween(before, after, TICKS).running).toEqual([
      { kind: 'face workers', threads: 2, seconds: 7 },
      { kind: 'Lambda containers', threads: 2, seconds: 1.5 },
      { kind: 'libvips worker', threads: 1, seconds: 1 },
    ]);
  });

  it('counts in full a thread that started in between', () => {
    const before = threadSnapshot(stackAt(100), [thread(20, 'node', 100)]);
    const after = threadSnapshot(stackAt(180), [thread(20, 'node', 100), thread(23, 'fn:PreSignUp', 80)]);
    expect(threadCpuBetween(before, after, TICKS)).toMatchObject({
      running: [{ kind: 'Lambda containers', threads: 1, seconds: 0.8 }],
      endedSeconds: 0,
    });
  });

  it("counts a thread that ended in between as the process's time less the running threads'", () => {
    // The container had used 40 ticks at the first snapshot and 100 when it ended: its last 60 are in the process's time.
    const before = threadSnapshot(stackAt(140), [thread(20, 'node', 100), thread(23, 'fn:PreSignUp', 40)]);
    const after = threadSnapshot(stackAt(220), [thread(20, 'node', 120)]);
    expect(threadCpuBetween(before, after, TICKS)).toEqual({ totalSeconds: 0.8, mainSeconds: 0.2, running: [], endedSeconds: 0.6 });
  });

  it('reports no negative ended time when the threads were read a tick after the process', () => {
    const before = threadSnapshot(stackAt(100), [thread(20, 'node', 100)]);
    const after = threadSnapshot(stackAt(180), [thread(20, 'node', 181)]);
    expect(threadCpuBetween(before, after, TICKS)).toMatchObject({ mainSeconds: 0.81, endedSeconds: 0 });
  });

  it("does not take a new thread that reuses an ended one's id for the same thread", () => {
    const before = threadSnapshot(stackAt(140), [thread(20, 'node', 100), thread(23, 'fn:PreSignUp', 40)]);
    const after = threadSnapshot(stackAt(170), [thread(20, 'node', 100), thread(23, 'fn:PreSignUp', 10, 5000)]);
    expect(threadCpuBetween(before, after, TICKS)).toMatchObject({
      running: [{ kind: 'Lambda containers', threads: 1, seconds: 0.1 }],
      endedSeconds: 0.2,
    });
  });

  it('fails when the snapshots are of two processes', () => {
    const before = threadSnapshot(stackAt(100), [thread(20, 'node', 100)]);
    const after = threadSnapshot({ ...stackAt(100), startTicks: 9000 }, [thread(20, 'node', 100, 9000)]);
    expect(() => threadCpuBetween(before, after, TICKS)).toThrow('the thread snapshots are of two processes');
  });
});

describe('the kind of a thread, by its name', () => {
  it('makes the face workers one kind', () => {
    expect(threadKind('face-worker', 'node')).toBe('face workers');
  });

  it('makes every Lambda container one kind, whatever its function', () => {
    expect([threadKind('fn:VerifyAuthCh', 'node'), threadKind('fn:IndexFace', 'node')]).toEqual(['Lambda containers', 'Lambda containers']);
  });

  it("calls a thread with the main thread's name unnamed: no one named it", () => {
    expect(threadKind('node', 'node')).toBe('unnamed node threads');
  });

  it('keeps the name a library gave its thread', () => {
    expect(threadKind('libvips worker', 'node')).toBe('libvips worker');
  });
});
