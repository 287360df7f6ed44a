// Where the CPU went during a measured window, from /proc (Linux): this process, the platform's processes,
// Postgres backends of a given database, Postgres' shared processes, Redis, and everything else on the box
// (other users' work makes a run noisy; the report says how much of it there was).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
  ticks: number;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    return {
      pid,
      ppid: Number(fields[1]),
      comm,
      cmdline,
      ticks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return undefined; // exited meanwhile
  }
}

function listProcs(): Proc[] {
  const procs: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) procs.push(p);
  }
  return procs;
}

/** Busy and total jiffies of the whole machine. */
function systemTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((s, x) => s + x, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

export interface CpuGroups {
  /** Root pids whose whole process trees form a group, e.g. { api: [pid], worker: [pid] }. */
  trees: Record<string, number[]>;
  /** Postgres databases whose backends form the group `postgres (<label>)`. */
  databases: Record<string, string>;
}

export interface CpuReport {
  wallSeconds: number;
  cores: number;
  /** CPU seconds per group; `machine busy` is everything, `other` what none of the groups explains. */
  seconds: Record<string, number>;
}

const PG_AUX =
  /^postgres: (checkpointer|background writer|walwriter|autovacuum|logical replication|stats|archiver|walsender|walreceiver)/;

function classify(p: Proc, groups: CpuGroups, treeOf: Map<number, string>): string | undefined {
  if (p.pid === process.pid) return 'bench driver';
  const tree = treeOf.get(p.pid);
  if (tree) return tree;
  if (p.comm === 'postgres' || p.cmdline.startsWith('postgres')) {
    for (const [label, db] of Object.entries(groups.databases)) {
      if (p.cmdline.includes(` ${db} `)) return `postgres (${label})`;
    }
    if (PG_AUX.test(p.cmdline) || !p.cmdline.startsWith('postgres:')) return 'postgres (shared)';
    return 'postgres (other databases)';
  }
  if (p.comm.startsWith('redis-server')) return 'redis';
  return undefined;
}

function treeMembership(procs: Proc[], trees: Record<string, number[]>): Map<number, string> {
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const treeOf = new Map<number, string>();
  for (const [label, roots] of Object.entries(trees)) {
    const stack = [...roots];
    while (stack.length > 0) {
      const pid = stack.pop()!;
      treeOf.set(pid, label);
      stack.push(...(children.get(pid) ?? []));
    }
  }
  return treeOf;
}

/** Starts a window; the returned function ends it and reports CPU seconds per group. */
export function cpuWindow(groups: CpuGroups): () => CpuReport {
  const startProcs = listProcs();
  const startTicks = new Map(startProcs.map((p) => [p.pid, p.ticks]));
  const startSystem = systemTicks();
  const started = performance.now();
  return () => {
    const procs = listProcs();
    const system = systemTicks();
    const wallSeconds = (performance.now() - started) / 1000;
    const treeOf = treeMembership(procs, groups.trees);
    const seconds: Record<string, number> = {};
    let explained = 0;
    for (const p of procs) {
      const group = classify(p, groups, treeOf);
      if (!group) continue;
      const delta = (p.ticks - (startTicks.get(p.pid) ?? 0)) / CLK_TCK;
      seconds[group] = (seconds[group] ?? 0) + delta;
      explained += delta;
    }
    const busy = (system.busy - startSystem.busy) / CLK_TCK;
    const cores = Math.max(1, Math.round((system.total - startSystem.total) / CLK_TCK / wallSeconds));
    seconds['other (not ours)'] = Math.max(0, busy - explained);
    seconds['machine busy'] = busy;
    return { wallSeconds, cores, seconds };
  };
}

/** The 1-minute load average, a quick noise indicator. */
export function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}
