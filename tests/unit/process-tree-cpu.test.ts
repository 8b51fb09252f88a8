import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStat, processTree, readProcessTable, treeCpuBetween, type ProcessTable } from '../../scripts/process-tree-cpu';

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
