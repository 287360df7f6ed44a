// Every setting in the settings table is documented in .env.example and in the README's configuration
// table (the check settings.ts promises), and .env.example names no variable agentq does not read.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { settings } from '../src/index.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const names = Object.keys(settings);

function read(file: string): string {
  const path = `${ROOT}${file}`;
  expect(existsSync(path), `${file} should exist at the repository root`).toBe(true);
  return readFileSync(path, 'utf8');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('settings documentation', () => {
  it('the settings table is not empty (so the checks below check something)', () => {
    expect(names.length).toBeGreaterThan(40);
    expect(names).toContain('DATABASE_URL');
  });

  it('every setting appears in .env.example as NAME= or # NAME=', () => {
    const text = read('.env.example');
    const missing = names.filter((n) => !new RegExp(`^(#\\s*)?${escapeRegExp(n)}=`, 'm').test(text));
    expect(missing, 'settings missing from .env.example').toEqual([]);
  });

  it('.env.example names only variables that are settings', () => {
    const text = read('.env.example');
    const documented = [...text.matchAll(/^(?:#\s*)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    expect(documented.length).toBeGreaterThan(0);
    expect(
      documented.filter((n) => !names.includes(n)),
      'unknown variables in .env.example',
    ).toEqual([]);
  });

  it("every setting has a row in README.md's configuration table (| `NAME`)", () => {
    const text = read('README.md');
    const missing = names.filter((n) => !new RegExp(`^\\|\\s*\`${escapeRegExp(n)}\``, 'm').test(text));
    expect(missing, 'settings missing from the README configuration table').toEqual([]);
  });
});
