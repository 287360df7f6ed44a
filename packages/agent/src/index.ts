export * from './checkpoint.ts';
export {
  CONTINUE_AFTER_MAX_TOKENS,
  estimateTokens,
  fitToBudget,
  LoopDetector,
  stableJson,
} from './conversation.ts';
export * from './errors.ts';
export { type AgentRun, idempotencyKeyFor, type RunPolicy, runAgent } from './loop.ts';
export { InMemoryCheckpointStore } from './memory-store.ts';
export type { Message, ToolCallRequest, ToolResultMessage } from './messages.ts';
export * from './model.ts';
export { ScriptedModel, type ScriptTurn, sleep } from './scripted.ts';
export { type TimeLimit, timeLimit } from './time-limit.ts';
export * from './tool.ts';
