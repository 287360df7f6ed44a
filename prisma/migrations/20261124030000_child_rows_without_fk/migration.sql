-- A run's rows (steps, tool calls, events) no longer carry foreign keys to their job. Every statement that
-- writes them takes the job id from the job row it updates in the same statement (fenced on the lease), so
-- they can't name a missing job; the constraint only re-checked that, once per row (a FOR KEY SHARE lookup
-- of a row the statement had just updated): 13 % of Postgres's CPU per checkpoint write (`pnpm bench`).
-- Nothing deletes jobs; whatever does (a retention job) deletes these rows with them.
ALTER TABLE "step" DROP CONSTRAINT "step_job_id_fkey";
ALTER TABLE "tool_call" DROP CONSTRAINT "tool_call_job_id_fkey";
ALTER TABLE "job_event" DROP CONSTRAINT "job_event_job_id_fkey";
