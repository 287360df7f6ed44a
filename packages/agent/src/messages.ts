// The provider-neutral conversation. Providers convert to and from it at the edge (packages/models),
// so a job's history means the same thing whichever provider ran it, and a recorded step replays.

export interface ToolCallRequest {
  /** Unique within the job. The loop rewrites missing or repeated provider ids. */
  id: string;
  name: string;
  input: unknown;
}

export interface ToolResultMessage {
  callId: string;
  name: string;
  content: string;
  isError: boolean;
}

export type Message =
  | { role: 'user'; text: string }
  | { role: 'assistant'; text: string; toolCalls: ToolCallRequest[]; providerData?: unknown }
  | { role: 'tool'; results: ToolResultMessage[] };
