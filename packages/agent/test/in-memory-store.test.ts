import { randomUUID } from 'node:crypto';
import { InMemoryCheckpointStore } from '../src/index.ts';
import { checkpointStoreContract, type JobView } from './checkpoint-store.contract.ts';

checkpointStoreContract('InMemoryCheckpointStore', async () => {
  const store = new InMemoryCheckpointStore();
  return {
    store,
    async createJob(task, config) {
      const id = randomUUID();
      store.createJob(id, task, config ? { config } : {});
      return id;
    },
    async requestCancel(jobId) {
      store.requestCancel(jobId);
    },
    async readJob(jobId): Promise<JobView> {
      const s = store.jobs.get(jobId);
      if (!s) throw new Error(`no job ${jobId}`);
      const { job } = s;
      return structuredClone({
        status: job.status,
        stepsUsed: job.stepsUsed,
        toolCallsUsed: job.toolCallsUsed,
        inputTokens: job.usage.inputTokens,
        outputTokens: job.usage.outputTokens,
        cacheReadTokens: job.usage.cacheReadTokens,
        cacheWriteTokens: job.usage.cacheWriteTokens,
        costUsd: job.costUsd,
        result: s.end?.status === 'succeeded' ? s.end.result : undefined,
        error:
          s.end?.status === 'failed' ? { code: s.end.error.code, message: s.end.error.message } : undefined,
        steps: s.steps.map((x) => x.index).sort((a, b) => a - b),
        calls: [...s.calls]
          .sort((a, b) => a.stepIndex - b.stepIndex || a.position - b.position)
          .map((c) => ({
            callId: c.callId,
            status: c.status,
            attempts: c.attempts,
            approval: c.approval,
            approvalReason: c.approvalReason,
            result: c.result,
          })),
      });
    },
    missingJobId: () => randomUUID(),
    async close() {},
  };
});
