// The tools a deployment offers, and which of them one job gets. ALLOWED_TOOLS narrows what the deployment
// offers; a job may then name a subset. Every tool handed out validates its input (see validation.ts).
import { JobFailure, type Tool, type ToolSpec } from '@agentq/agent';
import { withValidation } from './validation.ts';

export interface ToolCheck {
  /** Names no tool has. */
  unknown: string[];
  /** Names of tools that exist but that ALLOWED_TOOLS does not let jobs use. */
  notAllowed: string[];
}

/**
 * A job named tools it may not have. The API answers 4xx naming them; should it still reach a worker (say,
 * ALLOWED_TOOLS changed in between), it is a JobFailure('invalid_job'), so the job fails with this message.
 */
export class ToolSelectionError extends JobFailure {
  constructor(
    readonly unknown: string[],
    readonly notAllowed: string[],
  ) {
    const parts = [
      unknown.length ? `unknown tools: ${unknown.join(', ')}` : '',
      notAllowed.length ? `tools not allowed in this deployment: ${notAllowed.join(', ')}` : '',
    ];
    super('invalid_job', parts.filter(Boolean).join('; '), {
      unknown_tools: unknown,
      not_allowed_tools: notAllowed,
    });
    this.name = 'ToolSelectionError';
  }
}

export interface ToolRegistryOptions {
  /** ALLOWED_TOOLS: names, or prefixes ending in `*` (e.g. `github__*`). Undefined allows every tool. */
  allowed?: readonly string[];
  /** Told about tools whose input schema cannot be compiled (they then run unchecked). */
  onWarning?: (message: string) => void;
  /**
   * Names that count as known without a registered tool, e.g. `<mcp server>__*` in a process that does not
   * connect to MCP servers (the API). Only `check` uses this.
   */
  knownPatterns?: readonly string[];
}

const matches = (patterns: readonly string[], name: string) =>
  patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name));

export class ToolRegistry {
  readonly #tools = new Map<string, Tool>();
  readonly #options: ToolRegistryOptions;

  constructor(tools: readonly Tool[] = [], options: ToolRegistryOptions = {}) {
    this.#options = options;
    for (const tool of tools) this.add(tool);
  }

  add(tool: Tool): this {
    if (this.#tools.has(tool.name)) throw new Error(`two tools are named ${tool.name}`);
    this.#tools.set(tool.name, withValidation(tool, this.#options.onWarning));
    return this;
  }

  #allowed(name: string): boolean {
    return this.#options.allowed === undefined || matches(this.#options.allowed, name);
  }

  /** Names of the tools jobs may use. */
  names(): string[] {
    return [...this.#tools.keys()].filter((n) => this.#allowed(n));
  }

  check(names: readonly string[]): ToolCheck {
    const unknown: string[] = [];
    const notAllowed: string[] = [];
    for (const name of new Set(names)) {
      const known = this.#tools.has(name) || matches(this.#options.knownPatterns ?? [], name);
      if (!known) unknown.push(name);
      else if (!this.#allowed(name)) notAllowed.push(name);
    }
    return { unknown, notAllowed };
  }

  /** The tools of one job: the named ones, or every allowed tool when none are named. */
  select(names?: readonly string[]): ReadonlyMap<string, Tool> {
    if (names === undefined) return new Map(this.names().map((n) => [n, this.#tools.get(n)!]));
    const { unknown, notAllowed } = this.check(names);
    const missing = names.filter((n) => !this.#tools.has(n) && !unknown.includes(n));
    if (unknown.length || notAllowed.length || missing.length) {
      throw new ToolSelectionError([...unknown, ...missing], notAllowed);
    }
    return new Map(names.map((n) => [n, this.#tools.get(n)!]));
  }

  specs(names?: readonly string[]): ToolSpec[] {
    return [...this.select(names).values()].map(({ name, description, inputSchema }) => ({
      name,
      description,
      inputSchema,
    }));
  }
}
