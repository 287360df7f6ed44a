// The body of POST /submit and POST /run. Unknown fields are refused so a typo ("max_step") is a clear
// 400 instead of a silently ignored setting.
import type { Config } from '@agentq/config';
import { scriptSchema } from '@agentq/queue';
import { z } from 'zod';

const id = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\w.:@-]+$/, 'letters, digits and . _ : @ - only');

export function submitSchema(config: Config) {
  return z
    .object({
      task: z
        .string({ error: 'required, a non-empty string' })
        .trim()
        .min(1, 'must not be empty')
        .max(200_000),
      user_id: id(200).optional(),
      session_id: id(200).optional(),
      model: z.string().min(1).max(200).optional(),
      script: scriptSchema,
      tools: z.array(z.string().min(1).max(200)).max(500).optional(),
      approval: z.array(z.string().min(1).max(200)).max(500).optional(),
      max_steps: z.number().int().min(1).max(config.MAX_STEPS_LIMIT).optional(),
      max_tokens: z.number().int().positive().optional(),
      max_cost_usd: z.number().positive().optional(),
      max_tool_calls: z.number().int().positive().optional(),
      system: z.string().max(100_000).optional(),
      webhook_url: z
        .string()
        .max(2_000)
        .url('must be an absolute http(s) URL')
        // zod runs this even when .url() failed: a non-URL must not throw here (it would be a 500).
        .refine(
          (u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol),
          'must be an http or https URL',
        )
        .optional(),
      metadata: z
        .record(z.string().max(200), z.unknown())
        .refine((m) => JSON.stringify(m).length <= 16_384, 'must be at most 16 KiB of JSON')
        .optional(),
    })
    .strict();
}

export type SubmitBody = z.output<ReturnType<typeof submitSchema>>;
