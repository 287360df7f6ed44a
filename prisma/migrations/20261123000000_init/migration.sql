-- agentq initial schema. Mirrors prisma/schema.prisma (checked by packages/db/test/schema-agrees.test.ts).

CREATE TABLE "tenant" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "daily_cost_cap_usd" DECIMAL(12,6),
    "max_concurrent_jobs" INTEGER,
    "submits_per_minute" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "tenant_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "api_key" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "name" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "api_key_key_hash_key" ON "api_key"("key_hash");
CREATE INDEX "api_key_tenant_id_idx" ON "api_key"("tenant_id");

CREATE TABLE "job" (
    "id" UUID NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "user_id" TEXT,
    "session_id" TEXT,
    "idempotency_key" TEXT,
    "schedule_id" TEXT,
    "task" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "config" JSONB NOT NULL DEFAULT '{}',
    "metadata" JSONB,
    "webhook_url" TEXT,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "result" TEXT,
    "error" JSONB,
    "steps_used" INTEGER NOT NULL DEFAULT 0,
    "tool_calls_used" INTEGER NOT NULL DEFAULT 0,
    "input_tokens" BIGINT NOT NULL DEFAULT 0,
    "output_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_read_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_write_tokens" BIGINT NOT NULL DEFAULT 0,
    "cost_usd" DECIMAL(14,8) NOT NULL DEFAULT 0,
    "lease_epoch" INTEGER NOT NULL DEFAULT 0,
    "lease_owner" TEXT,
    "event_seq" INTEGER NOT NULL DEFAULT 0,
    "cancel_requested_at" TIMESTAMPTZ(3),
    "deadline_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "job_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "job_tenant_id_idempotency_key_key" ON "job"("tenant_id", "idempotency_key");
CREATE INDEX "job_tenant_id_created_at_idx" ON "job"("tenant_id", "created_at" DESC);
CREATE INDEX "job_status_updated_at_idx" ON "job"("status", "updated_at");
CREATE INDEX "job_tenant_id_session_id_idx" ON "job"("tenant_id", "session_id");

CREATE TABLE "step" (
    "job_id" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "text" TEXT NOT NULL DEFAULT '',
    "stop_reason" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "cache_read_tokens" INTEGER NOT NULL DEFAULT 0,
    "cache_write_tokens" INTEGER NOT NULL DEFAULT 0,
    "cost_usd" DECIMAL(14,8) NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "step_pkey" PRIMARY KEY ("job_id", "index")
);

CREATE TABLE "tool_call" (
    "job_id" UUID NOT NULL,
    "call_id" TEXT NOT NULL,
    "step_index" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "input" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "result" JSONB,
    "error" TEXT,
    "idempotency_key" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "approval" TEXT,
    "approval_reason" TEXT,
    "approval_expires_at" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "tool_call_pkey" PRIMARY KEY ("job_id", "call_id")
);
CREATE UNIQUE INDEX "tool_call_job_id_step_index_position_key" ON "tool_call"("job_id", "step_index", "position");

CREATE TABLE "job_event" (
    "job_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "job_event_pkey" PRIMARY KEY ("job_id", "seq")
);

CREATE TABLE "webhook_delivery" (
    "id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),
    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "webhook_delivery_status_next_attempt_at_idx" ON "webhook_delivery"("status", "next_attempt_at");
CREATE INDEX "webhook_delivery_job_id_idx" ON "webhook_delivery"("job_id");

CREATE TABLE "webhook_attempt" (
    "delivery_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "duration_ms" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "webhook_attempt_pkey" PRIMARY KEY ("delivery_id", "attempt")
);

CREATE TABLE "schedule" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT,
    "cron" TEXT,
    "every_ms" INTEGER,
    "template" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "schedule_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "schedule_tenant_id_idx" ON "schedule"("tenant_id");

CREATE TABLE "session_message" (
    "tenant_id" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "job_id" UUID NOT NULL,
    "role" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "session_message_pkey" PRIMARY KEY ("tenant_id", "session_id", "seq")
);

CREATE TABLE "memory" (
    "id" UUID NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "embedding" REAL[],
    "metadata" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "memory_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "memory_tenant_id_user_id_idx" ON "memory"("tenant_id", "user_id");

ALTER TABLE "api_key" ADD CONSTRAINT "api_key_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "job" ADD CONSTRAINT "job_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "step" ADD CONSTRAINT "step_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "tool_call" ADD CONSTRAINT "tool_call_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "job_event" ADD CONSTRAINT "job_event_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "webhook_attempt" ADD CONSTRAINT "webhook_attempt_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_delivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The status object of API.md, defined once: the API answers with it, and webhook payloads and
-- status events snapshot it in the same statement as the change they report.
CREATE FUNCTION "agentq_iso"(t TIMESTAMPTZ) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE FUNCTION "agentq_status_json"(j "job") RETURNS JSONB LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'job_id', j.id,
    'status', j.status,
    'result', j.result,
    'error', j.error,
    'steps_used', j.steps_used,
    'tool_calls_used', j.tool_calls_used,
    'usage', jsonb_build_object(
      'input_tokens', j.input_tokens,
      'output_tokens', j.output_tokens,
      'cache_read_tokens', j.cache_read_tokens,
      'cache_write_tokens', j.cache_write_tokens,
      'cost_usd', j.cost_usd::float8
    ),
    'model', j.model,
    'user_id', j.user_id,
    'session_id', j.session_id,
    'metadata', j.metadata,
    'created_at', agentq_iso(j.created_at),
    'started_at', agentq_iso(j.started_at),
    'finished_at', agentq_iso(j.finished_at)
  )
$$;
