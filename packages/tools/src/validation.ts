// Checks a call's input against its tool's JSON Schema before the tool runs, so tools can trust the shape of
// what they get and the model gets a precise complaint ("url: is required") it can fix on its next step.
import type { Tool } from '@agentq/agent';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { errorResult, messageOf } from './result.ts';

// strict: false because schemas come from MCP servers too and often carry keywords ajv does not know
// (examples, x-*); formats are not checked because ajv-formats is not loaded and the tools check URLs themselves.
const shared = { strict: false, allErrors: true, validateFormats: false } as const;
const draft07 = new Ajv(shared);
const draft2019 = new Ajv2019(shared);
const draft2020 = new Ajv2020(shared);

/** Compiles a tool's input schema with the draft it declares (draft-07 when it declares none). */
export function compileInputSchema(schema: Record<string, unknown>): ValidateFunction {
  // $schema picks the dialect; $id is dropped so two tools that reuse one id do not collide in ajv's cache.
  const { $schema, $id: _id, ...rest } = schema;
  const dialect = typeof $schema === 'string' ? $schema : '';
  const ajv = dialect.includes('2020-12') ? draft2020 : dialect.includes('2019-09') ? draft2019 : draft07;
  return ajv.compile(rest);
}

const unescapePointer = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');
const join = (path: string, key: unknown) => (path ? `${path}.${String(key)}` : String(key));

function describe(e: ErrorObject): string {
  const path = e.instancePath.split('/').slice(1).map(unescapePointer).join('.');
  const at = path || '(input)';
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${join(path, params.missingProperty)}: is required`;
    case 'additionalProperties':
      return `${join(path, params.additionalProperty)}: is not an accepted field`;
    case 'enum':
      return `${at}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${at}: ${e.message ?? e.keyword}`;
  }
}

/** "url: is required; method: must be one of ..." (at most five problems, without repeats). */
export function describeErrors(errors: readonly ErrorObject[]): string {
  return [...new Set(errors.map(describe))].slice(0, 5).join('; ');
}

const validated = new WeakSet<Tool>();

/**
 * Wraps a tool so invalid input returns `invalid input: <field>: <problem>` as an error result (never a throw:
 * a retry would fail the same way). A schema ajv cannot compile is reported through onWarning and the tool
 * then runs unchecked (its server still validates), or throws when no onWarning is given.
 */
export function withValidation(tool: Tool, onWarning?: (message: string) => void): Tool {
  if (validated.has(tool)) return tool;
  let validate: ValidateFunction | undefined;
  try {
    validate = compileInputSchema(tool.inputSchema);
  } catch (error) {
    const message = `tool ${tool.name} has an input schema that cannot be compiled: ${messageOf(error)}`;
    if (!onWarning) throw new Error(message);
    onWarning(`${message}; its input is passed on unchecked`);
  }
  const wrapped: Tool = {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema,
    policy: tool.policy,
    ...(tool.timeoutMs === undefined ? {} : { timeoutMs: tool.timeoutMs }),
    execute: async (input, ctx) => {
      // Models often send nothing at all for a tool without parameters.
      const args = input ?? {};
      if (validate && !validate(args))
        return errorResult(`invalid input: ${describeErrors(validate.errors ?? [])}`);
      return tool.execute(args, ctx);
    },
  };
  validated.add(wrapped);
  return wrapped;
}
