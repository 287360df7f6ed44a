// `pnpm agentq` (apps/api/src/cli.ts), spawned as a real process against a test database: a created key
// authenticates at the API as its tenant, the list never shows a key or its hash, a revoked key is refused,
// tenant limits land in the tenant table and take effect, and bad usage is a clear error with exit code 2
// (checked in-process, each spawn costs a second of TypeScript loading).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startPlatform, type TestPlatform } from '../../../test-support/platform.ts';
import { runCli } from '../src/cli.ts';

const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
let p: TestPlatform;

beforeAll(async () => {
  // A bootstrap key, so the API checks keys (with none at start it would run open).
  p = await startPlatform({ label: 'cli', workers: 0, env: { API_KEYS: 'boot:boot-key-000001' } });
});
afterAll(() => p?.stop());

function agentq(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [CLI, ...args],
      { env: { PATH: process.env.PATH, DATABASE_URL: p.db.url, LOG_LEVEL: 'silent' }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The same command in this process (same code path as the binary, minus the process start). */
async function agentqHere(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    args,
    { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`) },
    () => p.db.prisma,
  );
  return { code, stdout, stderr };
}

const submitWith = (key: string) =>
  fetch(`${p.url}/submit`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ task: 't', script: [{ text: 'x' }] }),
  });

describe('pnpm agentq keys', () => {
  it('create prints a working key once; list shows it without the key; revoke refuses it', async () => {
    const [created, other] = await Promise.all([
      agentq('keys', 'create', '--tenant', 'acme', '--name', 'ci'),
      agentq('keys', 'create', '--tenant', 'acme', '--json'),
    ]);
    expect(created.code).toBe(0);
    const key = /^key:\s+(aq_\S+)$/m.exec(created.stdout)?.[1];
    const id = /^id:\s+(\S+)$/m.exec(created.stdout)?.[1];
    expect(key).toMatch(/^aq_[\w-]{20,}$/);
    expect(created.stdout).toMatch(/^tenant:\s+acme$/m);
    expect(created.stderr).toMatch(/shown only once/);
    expect(other.code).toBe(0);
    const second = JSON.parse(other.stdout) as { id: string; key: string; tenant: string };
    expect(second).toMatchObject({ tenant: 'acme', key: expect.stringMatching(/^aq_/) });

    // The key authenticates as its tenant.
    const res = await submitWith(key!);
    expect(res.status).toBe(202);
    const { job_id } = await json<{ job_id: string }>(res);
    const rows = await p.db.prisma.$queryRaw<{ tenant_id: string }[]>`
      SELECT tenant_id FROM job WHERE id = ${job_id}::uuid`;
    expect(rows[0]?.tenant_id).toBe('acme');

    const listed = await agentq('keys', 'list', '--tenant', 'acme');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(id!);
    expect(listed.stdout).toContain(second.id);
    expect(listed.stdout).toContain(key!.slice(0, 6));
    expect(listed.stdout).not.toContain(key!);
    expect(listed.stdout).not.toContain(second.key);
    const all = JSON.parse((await agentqHere('keys', 'list', '--json')).stdout) as Record<string, unknown>[];
    expect(all.map((k) => k.tenant_id).sort()).toEqual(['acme', 'acme', 'boot']);
    expect(Object.keys(all[0]!).sort()).toEqual([
      'created_at',
      'id',
      'name',
      'prefix',
      'revoked_at',
      'tenant_id',
    ]);

    // Revoke the second key before it was ever used (a used key stays cached by a running API for ≤ 10 s).
    const revoked = await agentq('keys', 'revoke', second.id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${second.id}`);
    const refused = await submitWith(second.key);
    expect(refused.status).toBe(401);
    expect((await json<{ error: { code: string } }>(refused)).error.code).toBe('unauthorized');
    const again = await agentqHere('keys', 'revoke', second.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no active API key/);
  });
});

describe('pnpm agentq tenants set', () => {
  it('creates the tenant, sets and clears limits, and the API enforces them', async () => {
    const set = await agentq(
      'tenants',
      'set',
      '--tenant',
      'slowpoke',
      '--submits-per-minute',
      '1',
      '--daily-cost-cap-usd',
      '2.5',
      '--max-running-jobs',
      '3',
    );
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/submits per minute:\s+1$/m);
    const [row] = await p.db.prisma.$queryRaw<Record<string, unknown>[]>`
      SELECT daily_cost_cap_usd::float8 AS cap, max_concurrent_jobs, submits_per_minute FROM tenant WHERE id = 'slowpoke'`;
    expect(row).toEqual({ cap: 2.5, max_concurrent_jobs: 3, submits_per_minute: 1 });

    const created = await agentqHere('keys', 'create', '--tenant', 'slowpoke', '--json');
    const { key } = JSON.parse(created.stdout) as { key: string };
    expect((await submitWith(key)).status).toBe(202);
    const limited = await submitWith(key);
    expect(limited.status).toBe(429);
    expect((await json<{ error: { code: string } }>(limited)).error.code).toBe('rate_limited');

    // Only the given limit changes; "default" clears it.
    const cleared = await agentqHere(
      'tenants',
      'set',
      '--tenant',
      'slowpoke',
      '--daily-cost-cap-usd',
      'default',
      '--json',
    );
    expect(cleared.code).toBe(0);
    expect(JSON.parse(cleared.stdout)).toMatchObject({
      id: 'slowpoke',
      daily_cost_cap_usd: null,
      max_concurrent_jobs: 3,
      submits_per_minute: 1,
    });
    const list = await agentqHere('tenants', 'list');
    expect(list.stdout).toMatch(/^slowpoke\s+-\s+3\s+1\s/m);
  });
});

describe('usage errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /no command given/],
    ['an unknown command', ['keys', 'rotate'], /unknown command "keys rotate"/],
    ['a missing --tenant', ['keys', 'create'], /--tenant <id> is required/],
    ['a bad tenant id', ['keys', 'create', '--tenant', 'a b'], /not a tenant id/],
    ['an unknown option', ['keys', 'list', '--frob'], /Unknown option '--frob'/],
    ['an option of another command', ['keys', 'list', '--name', 'x'], /unknown option --name/],
    ['revoke without id', ['keys', 'revoke'], /which key\?/],
    ['a zero limit', ['tenants', 'set', '--tenant', 'x', '--max-running-jobs', '0'], /whole number ≥ 1/],
    [
      'a fractional limit',
      ['tenants', 'set', '--tenant', 'x', '--submits-per-minute', '1.5'],
      /whole number/,
    ],
    ['a zero cap', ['tenants', 'set', '--tenant', 'x', '--daily-cost-cap-usd', '0'], /positive amount/],
    ['a negative cap', ['tenants', 'set', '--tenant', 'x', '--daily-cost-cap-usd=-3'], /positive amount/],
    [
      'a cap that is not a number',
      ['tenants', 'set', '--tenant', 'x', '--daily-cost-cap-usd', 'lots'],
      /positive/,
    ],
  ];
  it('the binary exits 2 with the message on stderr and nothing on stdout', async () => {
    const r = await agentq('keys', 'create');
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/--tenant <id> is required/);
  });

  it('each is exit code 2 with a message saying what is wrong, and changes nothing', async () => {
    const results = [];
    for (const [, args] of cases) results.push(await agentqHere(...args));
    results.forEach((r, i) => {
      const [name, , message] = cases[i]!;
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(message);
      expect(r.stdout, name).toBe('');
    });
    const rows = await p.db.prisma.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM tenant WHERE id = 'x'`;
    expect(rows[0]?.n).toBe(0);
  });

  it('--help prints the usage', async () => {
    const help = await agentqHere('keys', 'create', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/keys create --tenant/);
    expect(help.stdout).toMatch(/tenants set --tenant/);
  });
});
