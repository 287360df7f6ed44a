// Rebuilding the conversation from recorded steps, and fitting it into the model's context budget.
// Everything here is a pure function of recorded data, so a resumed run sends exactly what the
// original run would have sent.
import type { Message, ToolResultMessage } from './messages.ts';

/** Said to the model after a response cut off by the output limit, so it continues. */
export const CONTINUE_AFTER_MAX_TOKENS =
  '[agentq] Your previous response was cut off by the output token limit. Continue where you stopped.';

/** Rough token count: ~4 characters per token for English and JSON. Good enough for a budget. */
export function estimateTokens(message: Message): number {
  switch (message.role) {
    case 'user':
      return Math.ceil(message.text.length / 4) + 4;
    case 'assistant':
      return Math.ceil((message.text.length + JSON.stringify(message.toolCalls).length) / 4) + 4;
    case 'tool':
      return Math.ceil(message.results.reduce((n, r) => n + r.content.length + 20, 0) / 4) + 4;
  }
}

/**
 * Keeps `pinned` (the messages up to and including the task) and the newest turns that fit in `budget`
 * tokens. Whole turns are dropped from the oldest, history before the task first, so a tool result is
 * never separated from the call that asked for it.
 */
export function fitToBudget(history: Message[], task: Message, turns: Message[], budget: number): Message[] {
  let total = estimateTokens(task);
  const keptTurns: Message[] = [];
  // Walk newest → oldest over assistant+tool groups.
  let i = turns.length;
  let droppedTurns = 0;
  while (i > 0) {
    let start = i - 1;
    if (turns[start]?.role === 'tool' && start > 0) start -= 1;
    const group = turns.slice(start, i);
    const cost = group.reduce((n, m) => n + estimateTokens(m), 0);
    if (total + cost > budget && keptTurns.length > 0) {
      droppedTurns = i;
      break;
    }
    total += cost;
    keptTurns.unshift(...group);
    i = start;
  }
  const keptHistory: Message[] = [];
  if (droppedTurns === 0) {
    for (let h = history.length - 1; h >= 0; h--) {
      const m = history[h]!;
      const cost = estimateTokens(m);
      if (total + cost > budget) break;
      total += cost;
      keptHistory.unshift(m);
    }
    // A conversation must not open with an assistant turn.
    while (keptHistory[0]?.role === 'assistant') keptHistory.shift();
  }
  const note =
    droppedTurns > 0
      ? `\n\n[agentq] ${countSteps(turns.slice(0, droppedTurns))} earlier step(s) were omitted to fit the context budget.`
      : '';
  const pinnedTask: Message = note && task.role === 'user' ? { role: 'user', text: task.text + note } : task;
  return [...keptHistory, pinnedTask, ...keptTurns];
}

const countSteps = (messages: Message[]) => messages.filter((m) => m.role === 'assistant').length;

/** Stable JSON (sorted keys) so two equal inputs compare equal whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Counts identical calls (same tool, same input) in a row. At `threshold` the model is told to change
 * course; at twice the threshold the run is stopped (the caller throws loop_detected).
 */
export class LoopDetector {
  private last = '';
  private streak = 0;
  constructor(private readonly threshold: number) {}

  /** Returns a warning for the model, 'stop', or undefined. */
  observe(name: string, input: unknown): string | 'stop' | undefined {
    const key = `${name}:${stableJson(input)}`;
    this.streak = key === this.last ? this.streak + 1 : 1;
    this.last = key;
    if (this.streak >= this.threshold * 2) return 'stop';
    if (this.streak >= this.threshold) {
      return `[agentq] You have called ${name} with this exact input ${this.streak} times in a row. Do something different; repeating it again will stop the job.`;
    }
    return undefined;
  }

  get repeats(): number {
    return this.streak;
  }
}

export const toolResultsMessage = (results: ToolResultMessage[]): Message => ({ role: 'tool', results });
