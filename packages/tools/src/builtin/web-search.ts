// web_search: the model's way to find current information. Read-only, so re-running it is harmless.
import { type Tool, type ToolResult, timeLimit } from '@agentq/agent';
import { errorResult } from '../result.ts';
import { SearchHttpError, type SearchProvider } from './search-providers.ts';

export interface WebSearchOptions {
  /** Limit of one search request (default 20 s); the call's signal applies as well. */
  timeoutMs?: number;
}

export function webSearchTool(provider: SearchProvider, options: WebSearchOptions = {}): Tool {
  return {
    name: 'web_search',
    description:
      'Search the web and get a numbered list of results (title, URL, snippet). Use it for facts that may be ' +
      'recent or that you are unsure of; then fetch a result with http_request when the snippet is not enough. ' +
      'Write queries as you would in a search engine.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, maxLength: 400, description: 'The search query.' },
        count: { type: 'integer', minimum: 1, maximum: 10, description: 'How many results (default 5).' },
      },
      required: ['query'],
      additionalProperties: false,
    },
    policy: 'safe',
    async execute(raw, ctx): Promise<ToolResult> {
      const { query, count = 5 } = raw as { query: string; count?: number };
      const limit = timeLimit(ctx.signal, options.timeoutMs ?? 20_000);
      try {
        const results = await provider.search(query, count, limit.signal);
        const content =
          results.length === 0
            ? `no results for "${query}"`
            : results.map((r, i) => `${i + 1}. ${r.title}\n   ${r.url}\n   ${r.snippet}`).join('\n');
        return { content, structured: { provider: provider.name, query, results } };
      } catch (error) {
        // A rejected key or request will fail the same way again; rate limits and outages are worth a retry.
        if (
          error instanceof SearchHttpError &&
          error.status >= 400 &&
          error.status < 500 &&
          error.status !== 429
        ) {
          return errorResult(`web search failed: ${error.message}`);
        }
        throw error;
      } finally {
        limit.dispose();
      }
    },
  };
}
