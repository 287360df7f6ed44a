// What an MCP tool's annotations mean for re-running it. Annotations are hints a server makes about itself,
// so they are believed only for servers the operator lists in MCP_TRUSTED_SERVERS; anything else is `never`:
// an interrupted call to an unknown tool is not repeated behind anyone's back.
import type { ToolPolicy } from '@agentq/agent';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';

export function policyFor(annotations: ToolAnnotations | undefined, trusted: boolean): ToolPolicy {
  if (!trusted || !annotations) return 'never';
  if (annotations.readOnlyHint === true) return 'safe';
  // Idempotent: a repeat with the same arguments has no further effect (and the key rides along in _meta).
  if (annotations.idempotentHint === true) return 'retry_with_key';
  // Neither idempotent nor destructive (MCP's default is destructive, so only an explicit false counts):
  // a repeat may duplicate something but destroys nothing, which a human can judge.
  if (annotations.destructiveHint === false) return 'ask';
  return 'never';
}
