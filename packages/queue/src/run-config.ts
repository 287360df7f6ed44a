// What a job carries besides its task, as stored in job.config: written by the API from the submit body,
// read by the worker. One schema for both sides.
import { z } from 'zod';

const scriptTurn = z
  .object({
    text: z.string().max(100_000).optional(),
    tool_calls: z
      .array(
        z.object({
          id: z.string().max(64).optional(),
          name: z.string().min(1).max(128),
          input: z.unknown().optional(),
        }),
      )
      .max(64)
      .optional(),
    usage: z
      .object({
        input_tokens: z.number().int().nonnegative().optional(),
        output_tokens: z.number().int().nonnegative().optional(),
      })
      .optional(),
    delay_ms: z.number().int().nonnegative().max(600_000).optional(),
  })
  .strict();

export const runConfigSchema = z.object({
  script: z.array(scriptTurn).max(10_000).optional(),
  /** Tool names this job may use; absent = every tool the deployment allows. */
  tools: z.array(z.string().min(1).max(200)).max(500).optional(),
  max_steps: z.number().int().positive(),
  max_tokens: z.number().int().positive().optional(),
  max_cost_usd: z.number().positive().optional(),
  max_tool_calls: z.number().int().positive().optional(),
  /** Tool names whose calls wait for a human's approval. */
  approval: z.array(z.string().min(1).max(200)).max(500).optional(),
  system: z.string().max(100_000).optional(),
  timeout_ms: z.number().int().positive().optional(),
});

export type RunConfig = z.infer<typeof runConfigSchema>;
export const scriptSchema = runConfigSchema.shape.script;
