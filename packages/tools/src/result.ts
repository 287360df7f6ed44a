// Small helpers every tool uses to shape what the model reads.
import type { ToolResult } from '@agentq/agent';

/** A failure the model should read and act on; the loop records it and does not retry. */
export const errorResult = (content: string, structured?: unknown): ToolResult => ({
  content,
  isError: true,
  ...(structured === undefined ? {} : { structured }),
});

/** Decodes at most `maxBytes` of UTF-8 without leaving half a character at the cut. */
export function utf8Prefix(bytes: Uint8Array, maxBytes: number): string {
  if (bytes.length <= maxBytes) return Buffer.from(bytes).toString('utf8');
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return Buffer.from(bytes.subarray(0, end)).toString('utf8');
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
