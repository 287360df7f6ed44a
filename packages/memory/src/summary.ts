// MEMORY_SAVE_SUMMARY: a finished job leaves a memory of what was asked and what came out, so a later
// job of the same user can recall it.
import { type Embedder, embedOne } from './embedder.ts';
import { truncate } from './recall.ts';
import type { VectorStore } from './vector-store.ts';

const MAX_TASK_CHARS = 500;
const MAX_RESULT_CHARS = 1500;

/** The memory text for a finished job; undefined when there is nothing worth keeping. */
export function summarizeForMemory(task: string, result: string): string | undefined {
  const t = task.replace(/\s+/g, ' ').trim();
  const r = result.replace(/\s+/g, ' ').trim();
  if (t === '' || r === '') return undefined;
  return `Task: ${truncate(t, MAX_TASK_CHARS)}\nResult: ${truncate(r, MAX_RESULT_CHARS)}`;
}

export interface SaveJobSummaryOptions {
  store: VectorStore;
  embedder: Embedder;
  tenantId: string;
  userId: string | undefined;
  jobId: string;
  task: string;
  result: string;
  signal?: AbortSignal;
}

/**
 * Saves the job's summary as a memory of its user; returns its id, or undefined when skipped (no user,
 * nothing to say). Keyed by content like any memory: running this again for a job (a retried finish)
 * or for another job with the same task and answer keeps a single memory.
 */
export async function saveJobSummary(options: SaveJobSummaryOptions): Promise<string | undefined> {
  const { userId } = options;
  const content = summarizeForMemory(options.task, options.result);
  if (!userId || !content) return undefined;
  const vector = await embedOne(options.embedder, content, options.signal);
  const [id] = await options.store.upsert([
    {
      tenantId: options.tenantId,
      userId,
      content,
      vector,
      metadata: { source: 'job_summary', jobId: options.jobId },
    },
  ]);
  return id;
}
