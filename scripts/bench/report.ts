// Fixed-width text tables for the bench summary.

export type Verdict = 'MET' | 'MISSED' | '';

export interface Row {
  label: string;
  value: string;
  target?: string;
  verdict?: Verdict;
}

const LABEL = 58;
const VALUE = 26;
const TARGET = 12;

export function section(title: string, rows: Row[]): string {
  const out = [title, '-'.repeat(LABEL + VALUE + TARGET + 10)];
  for (const r of rows) {
    const label = r.label.length > LABEL ? `${r.label.slice(0, LABEL - 1)}…` : r.label.padEnd(LABEL);
    const line = `${label}${r.value.padStart(VALUE)}  ${(r.target ?? '').padEnd(TARGET)}${r.verdict ?? ''}`;
    out.push(line.trimEnd());
  }
  return out.join('\n');
}

export const fmt = {
  rate: (v: number, unit: string) => `${Math.round(v).toLocaleString('en-US')} ${unit}`,
  num: (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a'),
  ms: (v: number) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms` : 'n/a'),
  pair: (a: number, b: number, unit = 'ms') => `${fmtMs(a)} / ${fmtMs(b)} ${unit}`.trimEnd(),
  pct: (v: number) => `${(v * 100).toFixed(1)} %`,
};

function fmtMs(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (Math.abs(v) < 10) return v.toFixed(2);
  return v.toFixed(0);
}

export const verdict = (ok: boolean): Verdict => (ok ? 'MET' : 'MISSED');
