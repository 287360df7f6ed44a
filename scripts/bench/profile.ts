// Summarizes V8 .cpuprofile files (node --cpu-prof): self time by package and the hottest functions.
// `pnpm bench --profile` writes one per platform process and prints this; it also runs on its own:
//   tsx scripts/bench/profile.ts .bench/profiles/<run>/worker.cpuprofile [--top 25]
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  /** Which process it came from, when known (api, worker…). */
  process?: string;
  /** Wall time covered and the part of it the thread was busy (not idle), ms. */
  totalMs: number;
  busyMs: number;
  idleMs: number;
  byCategory: { category: string; ms: number; share: number }[];
  /** Same, with node core and native frames charged to the nearest package frame that called them. */
  byCaller: { category: string; ms: number; share: number }[];
  topFunctions: { fn: string; where: string; category: string; ms: number; share: number }[];
}

/** Which package (or part of agentq) a script URL belongs to. */
export function categoryOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program: V8/native)';
    return `(native ${functionName || 'anonymous'})`;
  }
  if (url.startsWith('node:')) return 'node core';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
  }
  if (path.includes('/generated/prisma/')) return 'agentq db (generated Prisma client)';
  const m = /\/(apps|packages)\/([^/]+)\//.exec(path);
  if (m) return `agentq ${m[2]}`;
  return path;
}

/**
 * `window` (µs on CLOCK_MONOTONIC, the clock of the profile's timestamps) keeps only the samples taken in it,
 * e.g. one measured run, leaving out boot (module compilation) and warm-up.
 */
export async function summarizeProfile(
  file: string,
  top = 20,
  window?: { from: number; to: number },
): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const callerCategory = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame) break;
      const category = categoryOf(frame.url, frame.functionName);
      if (frame.url && category !== 'node core') return category;
    }
    const own = byId.get(id)?.callFrame;
    return own ? categoryOf(own.url, own.functionName) : '?';
  };
  const callers = new Map<string, number>();
  const selfMs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.from || at > window.to)) continue;
    // timeDeltas[i] is the time before sample i; attributing the next delta to it is the usual convention.
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    selfMs.set(id, (selfMs.get(id) ?? 0) + dt);
  }
  const totalMs = window
    ? (Math.min(window.to, profile.endTime) - Math.max(window.from, profile.startTime)) / 1000
    : (profile.endTime - profile.startTime) / 1000;
  const categories = new Map<string, number>();
  const functions = new Map<string, { fn: string; where: string; category: string; ms: number }>();
  let idle = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const category = categoryOf(url, functionName);
    if (category === '(idle)') {
      idle += ms;
      continue;
    }
    categories.set(category, (categories.get(category) ?? 0) + ms);
    const caller = callerCategory(id);
    callers.set(caller, (callers.get(caller) ?? 0) + ms);
    const where = url
      ? `${url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '')}:${lineNumber + 1}`
      : '';
    const key = `${functionName}@${where}`;
    const entry = functions.get(key) ?? { fn: functionName || '(anonymous)', where, category, ms: 0 };
    entry.ms += ms;
    functions.set(key, entry);
  }
  const busyMs = [...categories.values()].reduce((s, v) => s + v, 0);
  const share = (ms: number) => (busyMs > 0 ? ms / busyMs : 0);
  return {
    file,
    totalMs,
    busyMs,
    idleMs: idle,
    byCategory: [...categories]
      .map(([category, ms]) => ({ category, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms),
    byCaller: [...callers]
      .map(([category, ms]) => ({ category, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, share: share(f.ms) })),
  };
}

export function formatProfile(s: ProfileSummary, categories = 15): string {
  const lines = [
    `${s.process ?? basename(s.file)}: ${(s.busyMs / 1000).toFixed(1)} s busy of ${(s.totalMs / 1000).toFixed(1)} s profiled (${basename(s.file)})`,
    '  self time by package:',
    ...s.byCategory
      .slice(0, categories)
      .map(
        (c) =>
          `    ${(c.share * 100).toFixed(1).padStart(5)} %  ${(c.ms / 1000).toFixed(2).padStart(7)} s  ${c.category}`,
      ),
    '  by package, node core and native time charged to the package that called it:',
    ...s.byCaller
      .slice(0, categories)
      .map(
        (c) =>
          `    ${(c.share * 100).toFixed(1).padStart(5)} %  ${(c.ms / 1000).toFixed(2).padStart(7)} s  ${c.category}`,
      ),
    '  hottest functions (self time):',
    ...s.topFunctions.map(
      (f) =>
        `    ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.fn.slice(0, 40).padEnd(40)} ${f.category.padEnd(28).slice(0, 28)} ${f.where.slice(-70)}`,
    ),
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
  const files = args.filter((_, i) => topAt < 0 || (i !== topAt && i !== topAt + 1));
  if (files.length === 0) {
    console.error('usage: tsx scripts/bench/profile.ts <file.cpuprofile>... [--top N]');
    process.exit(2);
  }
  for (const f of files) console.log(formatProfile(await summarizeProfile(f, top)));
}
