// The scripted model (API.md): a fixed list of turns instead of an LLM, for tests, demos and replays.
// Turn i answers the model call that produces step i, so a resumed job picks up the right turn.
import { JobFailure } from './errors.ts';
import type { Model, ModelRequest, ModelResponse } from './model.ts';

export interface ScriptTurn {
  text?: string;
  tool_calls?: { id?: string; name: string; input?: unknown }[];
  usage?: { input_tokens?: number; output_tokens?: number };
  /** Milliseconds to "think" before answering (demos, cancel and timeout tests). */
  delay_ms?: number;
}

export class ScriptedModel implements Model {
  readonly id = 'scripted';
  constructor(private readonly script: readonly ScriptTurn[]) {}

  async generate(request: ModelRequest): Promise<ModelResponse> {
    const turn = this.script[request.stepIndex];
    if (!turn) {
      throw new JobFailure(
        'script_exhausted',
        `the script has ${this.script.length} turn(s) and the agent asked for turn ${request.stepIndex + 1}`,
      );
    }
    if (turn.delay_ms) await sleep(turn.delay_ms, request.signal);
    const toolCalls = (turn.tool_calls ?? []).map((c, i) => ({
      id: c.id ?? `call_${request.stepIndex}_${i}`,
      name: c.name,
      input: c.input ?? {},
    }));
    return {
      text: turn.text ?? '',
      toolCalls,
      stopReason: toolCalls.length > 0 ? 'tool_use' : 'end_turn',
      usage: {
        inputTokens: turn.usage?.input_tokens ?? 0,
        outputTokens: turn.usage?.output_tokens ?? 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
      },
      model: 'scripted',
      costUsd: 0,
    };
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
