// Job endpoints (API.md): submit, run, status (with long-poll), steps, events (SSE), cancel.
import { isIP } from 'node:net';
import { isTerminal, type JobStatus } from '@agentq/agent';
import type { Config, Logger } from '@agentq/config';
import type { JobsRepo, StatusObject } from '@agentq/db';
import { channels, type Queues, type RunConfig } from '@agentq/queue';
import { classifyAddress } from '@agentq/webhooks';
import { type Request, type Response, Router } from 'express';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { tenantOf } from '../auth.ts';
import type { SubmitCatalog } from '../catalog.ts';
import { HttpError, notFound, parse, route } from '../errors.ts';
import { JobIntake } from '../job-intake.ts';
import type { JobWatcher } from '../job-watcher.ts';
import { type SubmitBody, submitSchema } from '../submit-schema.ts';

export interface JobRoutesDeps {
  config: Config;
  log: Logger;
  jobs: JobsRepo;
  queues: Queues;
  redis: Redis;
  watcher: JobWatcher;
  catalog: SubmitCatalog;
}

const MAX_WAIT_SECONDS = 60;
const waitQuery = z.object({
  wait: z.coerce.number().min(0).max(MAX_WAIT_SECONDS, `at most ${MAX_WAIT_SECONDS} seconds`).optional(),
});
const idempotencyKeyHeader = z.string().min(1).max(255).optional();

export function jobRoutes(deps: JobRoutesDeps): Router {
  const { jobs, watcher, config } = deps;
  const router = Router();
  const schema = submitSchema(config);
  const intake = new JobIntake(jobs, deps.queues);

  const terminal = (s: StatusObject | undefined) => !s || isTerminal(s.status as JobStatus);

  async function submit(req: Request, res: Response): Promise<StatusObject> {
    const tenantId = tenantOf(res);
    const body = parse(schema, req.body ?? {});
    const idempotencyKey = parse(idempotencyKeyHeader, req.get('idempotency-key'), 'Idempotency-Key');
    const model = modelOf(deps.catalog, body);
    checkRunnable(deps.catalog, model, body);
    checkWebhook(config, body.webhook_url);
    const created = await intake.submit({
      tenantId,
      idempotencyKey,
      userId: body.user_id,
      sessionId: body.session_id,
      task: body.task,
      model,
      config: runConfigOf(body, config),
      metadata: body.metadata,
      webhookUrl: body.webhook_url,
    });
    if (created.kind === 'conflict') {
      throw new HttpError(
        409,
        'idempotency_key_reused',
        'this Idempotency-Key was already used for a different request',
        { job_id: created.job.job_id },
      );
    }
    if (created.kind === 'existing') res.set('Idempotent-Replayed', 'true');
    return created.job;
  }

  const statusUrl = (req: Request, id: string) => `${req.protocol}://${req.get('host')}/status/${id}`;

  router.post(
    '/submit',
    route(async (req, res) => {
      const job = await submit(req, res);
      res
        .status(202)
        .json({ job_id: job.job_id, status: job.status, status_url: statusUrl(req, job.job_id) });
    }),
  );

  router.post(
    '/run',
    route(async (req, res) => {
      const { wait = 30 } = parse(waitQuery, req.query, 'query');
      const job = await submit(req, res);
      const done = await watcher.waitFor(
        job.job_id,
        wait * 1000,
        () => jobs.status(tenantOf(res), job.job_id),
        terminal,
        abortOnClose(res),
      );
      if (!done) throw notFound();
      res.status(terminal(done) ? 200 : 202).json({ ...done, status_url: statusUrl(req, job.job_id) });
    }),
  );

  router.get(
    '/status/:id',
    route(async (req, res) => {
      const { wait = 0 } = parse(waitQuery, req.query, 'query');
      const id = String(req.params.id);
      const status = await watcher.waitFor(
        id,
        wait * 1000,
        () => jobs.status(tenantOf(res), id),
        terminal,
        abortOnClose(res),
      );
      if (!status) throw notFound();
      res.json(status);
    }),
  );

  router.get(
    '/jobs/:id/steps',
    route(async (req, res) => {
      const steps = await jobs.steps(tenantOf(res), String(req.params.id));
      if (!steps) throw notFound();
      res.json(steps);
    }),
  );

  router.post(
    '/jobs/:id/cancel',
    route(async (req, res) => {
      const id = String(req.params.id);
      const cancelled = await jobs.cancel(tenantOf(res), id);
      if (!cancelled) throw notFound();
      if (cancelled.job.status === 'succeeded' || cancelled.job.status === 'failed') {
        throw new HttpError(
          409,
          'job_finished',
          `the job already ${cancelled.job.status}; there is nothing to cancel`,
        );
      }
      if (cancelled.deliveryIds.length > 0) {
        await Promise.all(
          cancelled.deliveryIds.map((d) => deps.queues.enqueue('webhookDelivery', { delivery_id: d })),
        );
      }
      if (cancelled.job.status === 'running')
        await deps.redis.publish(channels.cancel(config.QUEUE_PREFIX), id);
      await deps.redis.publish(channels.jobChanged(config.QUEUE_PREFIX), id);
      res.status(cancelled.job.status === 'cancelled' ? 200 : 202).json(cancelled.job);
    }),
  );

  return router;
}

export function checkWebhook(config: Config, webhookUrl: string | undefined): void {
  if (!webhookUrl) return;
  const refuse = (message: string) => {
    throw new HttpError(400, 'invalid_request', `webhook_url: ${message}`, [
      { field: 'webhook_url', message },
    ]);
  };
  if (!config.WEBHOOK_SECRET) refuse('this deployment has no WEBHOOK_SECRET, so it cannot sign webhooks');
  const url = new URL(webhookUrl);
  if (url.username || url.password) refuse('must not contain credentials');
  if (config.WEBHOOK_ALLOW_PRIVATE) return;
  // Literal addresses are refused now; host names are checked after DNS resolution at every delivery.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost'))
    refuse('points to this machine (private destinations are not allowed)');
  const problem = isIP(host) ? classifyAddress(host) : undefined;
  if (problem) refuse(`points to a non-public address (${problem.reason})`);
}

export function checkRunnable(catalog: SubmitCatalog, model: string, body: SubmitBody): void {
  const problem = catalog.modelProblem(model);
  if (problem)
    throw new HttpError(400, 'model_unavailable', `model: ${problem}`, [
      { field: 'model', message: problem },
    ]);
  if (model === 'scripted' && (!body.script || body.script.length === 0)) {
    throw new HttpError(
      400,
      'invalid_request',
      'script: required (a non-empty array of turns) when model is "scripted"',
      [{ field: 'script', message: 'required when model is "scripted"' }],
    );
  }
  const names = [...(body.tools ?? []), ...(body.approval ?? [])];
  const unknown = catalog.unknownTools(names);
  if (unknown.length > 0) {
    const message = `unknown or disabled tool(s): ${[...new Set(unknown)].join(', ')}`;
    throw new HttpError(400, 'unknown_tool', `tools: ${message}`, [{ field: 'tools', message }]);
  }
}

export function runConfigOf(body: SubmitBody, config: Config): RunConfig {
  return {
    max_steps: body.max_steps ?? config.MAX_STEPS_DEFAULT,
    ...(body.script ? { script: body.script } : {}),
    ...(body.tools ? { tools: body.tools } : {}),
    ...(body.approval ? { approval: body.approval } : {}),
    ...(body.max_tokens ? { max_tokens: body.max_tokens } : {}),
    ...(body.max_cost_usd ? { max_cost_usd: body.max_cost_usd } : {}),
    ...(body.max_tool_calls ? { max_tool_calls: body.max_tool_calls } : {}),
    ...(body.system ? { system: body.system } : {}),
  };
}

/** The model a submit body runs on: its own, else scripted when it has a script, else the default. */
export const modelOf = (catalog: SubmitCatalog, body: SubmitBody): string =>
  body.model ?? (body.script ? 'scripted' : catalog.defaultModel());

/** Aborts when the client goes away, so a long-poll stops waiting for nobody. */
export function abortOnClose(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  return controller.signal;
}
