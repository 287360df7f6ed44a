// Current Claude models think by default, and the API requires an assistant turn that called tools to be
// sent back exactly as received, thinking blocks (with their signatures) included, when the tool results
// follow. agentq's provider-neutral history keeps only text and tool calls, so this bounded memory keeps
// the original blocks of recent tool-calling turns, keyed by their tool_use ids (unique per provider), and
// the next request of the same tool loop echoes them verbatim.
//
// It lives in the process: a run resumed on another worker finds nothing here and sends the rebuilt turn
// instead. The durable fix is an opaque provider payload on recorded steps (see README.md).
import type Anthropic from '@anthropic-ai/sdk';

interface Turn {
  text: string;
  callIds: readonly string[];
  content: Anthropic.ContentBlockParam[];
}

export class ThinkingEcho {
  private readonly turns = new Map<string, Turn>();

  constructor(private readonly capacity = 1000) {}

  /** Keeps a turn worth echoing: one that called tools and carried thinking. */
  remember(text: string, callIds: readonly string[], content: Anthropic.ContentBlockParam[]): void {
    const key = callIds[0];
    if (key === undefined || !content.some((b) => b.type === 'thinking' || b.type === 'redacted_thinking'))
      return;
    this.turns.delete(key);
    this.turns.set(key, { text, callIds, content });
    for (const oldest of this.turns.keys()) {
      if (this.turns.size <= this.capacity) break;
      this.turns.delete(oldest);
    }
  }

  /** The original blocks of a turn, if it is the same turn (same text, same tool calls in order). */
  recall(text: string, callIds: readonly string[]): Anthropic.ContentBlockParam[] | undefined {
    const turn = callIds[0] === undefined ? undefined : this.turns.get(callIds[0]);
    if (!turn || turn.text !== text || turn.callIds.length !== callIds.length) return undefined;
    return turn.callIds.every((id, i) => id === callIds[i]) ? turn.content : undefined;
  }
}
