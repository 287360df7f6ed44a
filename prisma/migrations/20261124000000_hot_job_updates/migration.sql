-- Checkpoint writes change only unindexed columns of a job (counters, event_seq, updated_at) and of a tool
-- call (status, result), so Postgres can make them HOT updates (no new index entries, less WAL) when the row's
-- page has room for the new version. updated_at leaves the status index for created_at (which never
-- changes; the reconciler lists active jobs in created_at order), and job and tool_call pages keep room free.
DROP INDEX "job_status_updated_at_idx";
CREATE INDEX "job_status_created_at_idx" ON "job"("status", "created_at");
ALTER TABLE "job" SET (fillfactor = 70);
ALTER TABLE "tool_call" SET (fillfactor = 70);
