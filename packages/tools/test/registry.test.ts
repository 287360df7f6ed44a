import { JobFailure, type Tool } from '@agentq/agent';
import { describe, expect, it } from 'vitest';
import { ToolRegistry, ToolSelectionError } from '../src/registry.ts';
import { withValidation } from '../src/validation.ts';
import { ctx } from './support.ts';

// A tool that records what reached it, so tests can tell validation stopped a call.
function recorder(name: string, inputSchema: Record<string, unknown>): Tool & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    name,
    description: `records calls to ${name}`,
    inputSchema,
    policy: 'safe',
    calls,
    async execute(input) {
      calls.push(input);
      return { content: 'ok' };
    },
  };
}

const fetchSchema = {
  type: 'object',
  properties: {
    method: { type: 'string', enum: ['GET', 'POST'] },
    url: { type: 'string' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
  },
  required: ['method', 'url'],
  additionalProperties: false,
};

describe('input validation', () => {
  it('returns invalid input naming the field and problem, without running the tool', async () => {
    const tool = recorder('fetchy', fetchSchema);
    const registry = new ToolRegistry([tool]);
    const run = (input: unknown) => registry.select(['fetchy']).get('fetchy')!.execute(input, ctx());

    expect(await run({ method: 'GET' })).toEqual({
      content: 'invalid input: url: is required',
      isError: true,
    });
    expect(await run({ method: 'DELETE', url: 'x' })).toEqual({
      content: 'invalid input: method: must be one of "GET", "POST"',
      isError: true,
    });
    expect(await run({ method: 'GET', url: 5, extra: 1 })).toEqual({
      content: 'invalid input: extra: is not an accepted field; url: must be string',
      isError: true,
    });
    expect(await run({ method: 'GET', url: 'x', headers: { 'x-a': 1 } })).toEqual({
      content: 'invalid input: headers.x-a: must be string',
      isError: true,
    });
    expect(await run('just text')).toEqual({
      content: 'invalid input: (input): must be object',
      isError: true,
    });
    expect(tool.calls).toEqual([]);

    expect(await run({ method: 'GET', url: 'https://example.com' })).toEqual({ content: 'ok' });
    expect(tool.calls).toEqual([{ method: 'GET', url: 'https://example.com' }]);
  });

  it('treats a missing input as {} and understands draft 2020-12 schemas with $id', async () => {
    const noArgs = recorder('no_args', { type: 'object', properties: {}, additionalProperties: false });
    const modern = recorder('modern', {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://example.com/shared-id',
      type: 'object',
      properties: { items: { type: 'array', prefixItems: [{ type: 'number' }] } },
      required: ['items'],
    });
    const sameId = recorder('same_id', { $id: 'https://example.com/shared-id', type: 'object' });
    const tools = new ToolRegistry([noArgs, modern, sameId]).select();
    expect(await tools.get('no_args')!.execute(undefined, ctx())).toEqual({ content: 'ok' });
    expect(noArgs.calls).toEqual([{}]);
    expect(await tools.get('modern')!.execute({ items: ['a'] }, ctx())).toEqual({
      content: 'invalid input: items.0: must be number',
      isError: true,
    });
    expect(await tools.get('modern')!.execute({ items: [1, 'b'] }, ctx())).toEqual({ content: 'ok' });
  });

  it('reports a schema that cannot be compiled and runs that tool unchecked', async () => {
    const warnings: string[] = [];
    const broken = recorder('broken', { type: 'object', properties: { a: { type: 'no-such-type' } } });
    const registry = new ToolRegistry([broken], { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('tool broken has an input schema that cannot be compiled');
    expect(await registry.select().get('broken')!.execute({ a: 1 }, ctx())).toEqual({ content: 'ok' });
    expect(() => withValidation(recorder('strict', { type: 'nope' }))).toThrow(/cannot be compiled/);
  });

  it('does not validate twice when a validated tool is registered again', () => {
    const once = withValidation(recorder('x', { type: 'object' }));
    expect(withValidation(once)).toBe(once);
  });
});

describe('selection against ALLOWED_TOOLS', () => {
  const all = () =>
    ['http_request', 'read_file', 'files__read', 'files__write'].map((n) => recorder(n, { type: 'object' }));

  it('offers every tool when nothing is configured, and the named subset per job', () => {
    const registry = new ToolRegistry(all());
    expect(registry.names()).toEqual(['http_request', 'read_file', 'files__read', 'files__write']);
    expect([...registry.select(['read_file']).keys()]).toEqual(['read_file']);
    expect([...registry.select([]).keys()]).toEqual([]);
    expect(registry.specs(['read_file'])).toEqual([
      { name: 'read_file', description: 'records calls to read_file', inputSchema: { type: 'object' } },
    ]);
  });

  it('narrows to ALLOWED_TOOLS (with prefix* patterns) and says which names are unknown or not allowed', () => {
    const registry = new ToolRegistry(all(), { allowed: ['read_file', 'files__*', 'run_python'] });
    expect(registry.names()).toEqual(['read_file', 'files__read', 'files__write']);
    expect([...registry.select().keys()]).toEqual(['read_file', 'files__read', 'files__write']);
    expect(registry.check(['read_file', 'http_request', 'nope', 'run_python', 'read_file'])).toEqual({
      unknown: ['nope', 'run_python'],
      notAllowed: ['http_request'],
    });
    const error = (() => {
      try {
        registry.select(['http_request', 'nope']);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ToolSelectionError);
    expect(error).toMatchObject({ unknown: ['nope'], notAllowed: ['http_request'], code: 'invalid_job' });
    expect(error).toBeInstanceOf(JobFailure);
    expect((error as Error).message).toBe(
      'unknown tools: nope; tools not allowed in this deployment: http_request',
    );
  });

  it('counts known patterns as known in check() but cannot hand out tools it does not have', () => {
    const registry = new ToolRegistry([], { knownPatterns: ['github__*'] });
    expect(registry.check(['github__create_issue', 'gitlab__x'])).toEqual({
      unknown: ['gitlab__x'],
      notAllowed: [],
    });
    expect(() => registry.select(['github__create_issue'])).toThrow(ToolSelectionError);
  });

  it('refuses two tools with one name', () => {
    expect(
      () => new ToolRegistry([recorder('a', { type: 'object' }), recorder('a', { type: 'object' })]),
    ).toThrow('two tools are named a');
  });
});
