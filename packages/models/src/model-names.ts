// Which provider serves a model name. Bare names go by family ("claude…" → Anthropic; "gpt-…", "o1"/"o3"/
// "o4…", "chatgpt-…", "codex-…" and their fine-tunes "ft:gpt-…" → OpenAI); names listed as OpenAI-compatible go to OPENAI_BASE_URL; and an
// explicit "anthropic/" or "openai/" prefix picks the provider for any name.

export type Route =
  | { provider: 'scripted' }
  | { provider: 'anthropic'; model: string }
  /** `compatible`: a name only the OpenAI-compatible server knows (no OpenAI key needed). */
  | { provider: 'openai'; model: string; compatible: boolean }
  | { provider: 'unknown' };

export const SCRIPTED = 'scripted';

const OPENAI_FAMILY = /^(ft:)?(gpt-|chatgpt-|codex-|o\d+(-|:|$))/i;

export function isOpenAIFamily(model: string): boolean {
  return OPENAI_FAMILY.test(model);
}

export function route(name: string, compatibleModels: readonly string[]): Route {
  if (name === SCRIPTED) return { provider: 'scripted' };
  const [, prefix, rest] = /^(anthropic|openai)\/(.+)$/.exec(name) ?? [];
  if (prefix === 'anthropic' && rest) return { provider: 'anthropic', model: rest };
  if (prefix === 'openai' && rest) {
    return {
      provider: 'openai',
      model: rest,
      compatible: !isOpenAIFamily(rest) || compatibleModels.includes(rest),
    };
  }
  // Listed first: a local model may well be called "gpt-oss" and must still go to the local server.
  if (compatibleModels.includes(name)) return { provider: 'openai', model: name, compatible: true };
  if (/^claude/i.test(name)) return { provider: 'anthropic', model: name };
  if (isOpenAIFamily(name)) return { provider: 'openai', model: name, compatible: false };
  return { provider: 'unknown' };
}
