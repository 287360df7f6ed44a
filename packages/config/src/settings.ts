// Every setting agentq reads, in one table: name → zod schema with its default and a description.
// This is the only place that knows environment variable names; `.env.example` and the README's
// configuration table are checked against it by packages/config/test/settings-documented.test.ts.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const url = (protocols: string[]) =>
  z
    .string()
    .url()
    // zod keeps running refinements after .url() fails, so parse defensively.
    .refine(
      (u) => URL.canParse(u) && protocols.includes(new URL(u).protocol),
      `must start with ${protocols.join(' or ')}`,
    );
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);
const secondsList = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'must be comma-separated whole seconds, e.g. 5,300,1800')
  .transform((s) => s.split(',').map((x) => Number(x.trim())));

interface Setting<S extends z.ZodType = z.ZodType> {
  schema: S;
  default?: string;
  doc: string;
  secret?: boolean;
}
function s<S extends z.ZodType>(schema: S, doc: string): Setting<S>;
function s<S extends z.ZodType>(
  schema: S,
  doc: string,
  dflt: string,
  secret?: boolean,
): Setting<S> & { default: string };
function s<S extends z.ZodType>(schema: S, doc: string, dflt: undefined, secret: boolean): Setting<S>;
function s<S extends z.ZodType>(schema: S, doc: string, dflt?: string, secret = false): Setting<S> {
  return { schema, doc, ...(dflt === undefined ? {} : { default: dflt }), secret };
}

export const settings = {
  // processes
  PORT: s(int(0, 65535), 'API port', '3000'),
  DATABASE_URL: s(
    url(['postgresql:', 'postgres:']),
    'Postgres connection string',
    'postgresql://127.0.0.1:5432/agentq',
    true,
  ),
  REDIS_URL: s(url(['redis:', 'rediss:']), 'Redis connection string', 'redis://127.0.0.1:6379', true),
  QUEUE_PREFIX: s(
    z.string().regex(/^[a-zA-Z0-9_-]+$/),
    'BullMQ key prefix; separate deployments sharing one Redis',
    'agentq',
  ),
  LOG_LEVEL: s(
    z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    'pino log level',
    'info',
  ),
  LOG_PRETTY: s(bool, 'human-readable one-line logs instead of JSON', 'false'),

  // worker
  WORKER_CONCURRENCY: s(int(1, 1000), 'agent runs processed at once per worker process', '10'),
  WORKER_LOCK_MS: s(
    int(1000),
    "BullMQ lock duration; a dead worker's job is taken over after about this long",
    '10000',
  ),
  WORKER_STALLED_INTERVAL_MS: s(int(500), 'how often workers look for jobs whose worker died', '2000'),
  SHUTDOWN_GRACE_MS: s(
    int(0),
    'on SIGTERM, how long in-flight runs may continue before they are handed back',
    '10000',
  ),
  RECONCILE_INTERVAL_MS: s(
    int(1000),
    'how often Postgres is compared with Redis to re-enqueue lost jobs',
    '10000',
  ),

  // runs
  DEFAULT_MODEL: s(
    z.string().min(1),
    'model used when a job names none (default: first provider with a key, else scripted)',
  ),
  SCRIPTED_MODEL: s(z.enum(['on', 'off']), 'allow "model": "scripted" jobs', 'on'),
  MAX_STEPS_DEFAULT: s(int(1, 10000), 'max_steps when a job gives none', '20'),
  MAX_STEPS_LIMIT: s(int(1, 10000), 'largest max_steps a job may ask for', '200'),
  JOB_TIMEOUT_MS: s(int(1000), 'wall-clock limit of one job, from its first start', '3600000'),
  TOOL_TIMEOUT_MS: s(int(100), 'default time limit of one tool call', '60000'),
  TOOL_MAX_ATTEMPTS: s(
    int(1, 20),
    'attempts of a failing re-runnable tool call before its error goes to the model',
    '3',
  ),
  CONTEXT_TOKEN_BUDGET: s(
    int(1000),
    'conversation sent to the model is truncated to about this many tokens',
    '100000',
  ),
  LOOP_DETECTION_THRESHOLD: s(
    int(2, 100),
    'identical tool calls in a row before the model is warned; twice this stops the job',
    '3',
  ),
  APPROVAL_TIMEOUT_MS: s(
    int(1000),
    'a pending approval expires (and fails the job) after this long',
    '86400000',
  ),
  APPROVAL_REQUIRED_FOR_ASK: s(
    bool,
    'tools whose retry policy is "ask" need approval before every call',
    'false',
  ),

  // models
  ANTHROPIC_API_KEY: s(z.string().min(1), 'enables Anthropic models', undefined, true),
  ANTHROPIC_BASE_URL: s(url(['http:', 'https:']), 'Anthropic API base URL'),
  OPENAI_API_KEY: s(z.string().min(1), 'enables OpenAI models (and OpenAI embeddings)', undefined, true),
  OPENAI_BASE_URL: s(
    url(['http:', 'https:']),
    'OpenAI or OpenAI-compatible base URL (Ollama, vLLM, LM Studio)',
  ),
  OPENAI_COMPATIBLE_MODELS: s(
    list,
    'model names served by OPENAI_BASE_URL that are not OpenAI names, e.g. llama3.1,qwen2.5',
  ),
  MODEL_TIMEOUT_MS: s(int(1000), 'timeout of one model request', '120000'),
  MODEL_MAX_RETRIES: s(int(0, 20), 'retries of a model request on 429/5xx/overloaded', '4'),
  MODEL_MAX_OUTPUT_TOKENS: s(int(1), 'max output tokens per model call', '4096'),
  MODEL_PRICES: s(
    z.string().min(2),
    'JSON price overrides, USD per million tokens: {"model":{"input":3,"output":15}}',
  ),

  // tools
  ALLOWED_TOOLS: s(list, 'tools jobs may use (default: every tool available to the deployment)'),
  HTTP_TOOL_ALLOW_PRIVATE: s(
    bool,
    'let http_request reach private, loopback and link-local addresses',
    'false',
  ),
  HTTP_TOOL_MAX_RESPONSE_BYTES: s(
    int(1),
    'http_request response bodies are truncated to this many bytes',
    '100000',
  ),
  WORKSPACE_DIR: s(z.string().min(1), 'directory read_file/write_file are confined to', './workspace'),
  RUN_PYTHON: s(z.enum(['on', 'off']), 'offer the run_python tool', 'off'),
  PYTHON_BIN: s(z.string().min(1), 'python interpreter for run_python', 'python3'),
  RUN_PYTHON_MEMORY_MB: s(int(16), 'address-space limit of run_python', '512'),
  BRAVE_API_KEY: s(z.string().min(1), 'enables web_search through Brave Search', undefined, true),
  TAVILY_API_KEY: s(z.string().min(1), 'enables web_search through Tavily', undefined, true),
  SERPER_API_KEY: s(z.string().min(1), 'enables web_search through Serper', undefined, true),
  SEARCH_BASE_URL: s(url(['http:', 'https:']), 'override the search provider base URL (tests, proxies)'),
  MCP_CONFIG: s(z.string().min(1), 'path of a JSON file {"mcpServers": {...}} declaring MCP servers'),
  MCP_TRUSTED_SERVERS: s(
    list,
    'MCP servers whose tool annotations (readOnlyHint, idempotentHint) are believed',
  ),

  // webhooks
  WEBHOOK_SECRET: s(
    z
      .string()
      .regex(
        /^whsec_[A-Za-z0-9+/=]+(\s*,\s*whsec_[A-Za-z0-9+/=]+)*$/,
        'must be whsec_<base64>, comma-separated for rotation',
      ),
    'Standard Webhooks signing secret(s); the first signs, all are listed during rotation',
    undefined,
    true,
  ),
  WEBHOOK_RETRY_SCHEDULE: s(
    secondsList,
    'seconds between delivery attempts',
    '5,300,1800,7200,18000,36000,36000',
  ),
  WEBHOOK_TIMEOUT_MS: s(int(100), 'timeout of one delivery attempt', '15000'),
  WEBHOOK_ALLOW_PRIVATE: s(bool, 'let webhooks reach private, loopback and link-local addresses', 'false'),

  // tenants and safety
  API_KEYS: s(
    list,
    'bootstrap API keys as tenant:key,tenant:key (none: the API runs open as tenant "default")',
    undefined,
    true,
  ),
  ADMIN_USERNAME: s(z.string().min(1), 'basic-auth user for /admin (Bull Board and admin routes)'),
  ADMIN_PASSWORD: s(z.string().min(1), 'basic-auth password for /admin', undefined, true),
  RATE_LIMIT_SUBMITS_PER_MINUTE: s(int(1), 'submits per tenant per minute before 429', '600'),
  TENANT_MAX_RUNNING_JOBS: s(int(1), 'jobs of one tenant running at once; more wait their turn', '50'),
  TENANT_DAILY_COST_CAP_USD: s(z.coerce.number().positive(), 'default daily cost cap per tenant (USD)'),
  MAX_BODY_BYTES: s(int(1024), 'largest accepted request body', '1048576'),

  // memory
  SESSION_TTL: s(int(1), "seconds a session's hot history stays in Redis", '86400'),
  QDRANT_URL: s(url(['http:', 'https:']), 'use Qdrant for long-term memory instead of Postgres'),
  QDRANT_API_KEY: s(z.string().min(1), 'Qdrant API key', undefined, true),
  QDRANT_COLLECTION: s(z.string().min(1), 'Qdrant collection', 'agentq_memory'),
  EMBEDDER: s(z.enum(['local', 'openai']), 'local (lexical, no network) or openai (semantic)', 'local'),
  EMBEDDING_MODEL: s(z.string().min(1), 'embedding model for EMBEDDER=openai', 'text-embedding-3-small'),
  MEMORY_AUTO_RECALL: s(int(0, 50), "memories added to a job's context at start (0: off)", '0'),
  MEMORY_SAVE_SUMMARY: s(bool, "save a finished job's task and result as a memory of its user", 'false'),
} satisfies Record<string, Setting>;

export type Settings = typeof settings;
