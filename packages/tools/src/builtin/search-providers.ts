// Web search back ends, each normalised to {title, url, snippet}. Which one runs depends on which API key
// the deployment has; none runs without a key, so results are never invented.
export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

export interface SearchProvider {
  readonly name: 'brave' | 'tavily' | 'serper';
  search(query: string, count: number, signal: AbortSignal): Promise<SearchResult[]>;
}

export interface SearchKeys {
  braveApiKey?: string;
  tavilyApiKey?: string;
  serperApiKey?: string;
  /** SEARCH_BASE_URL: replaces the provider's origin (a proxy, or a test server). */
  searchBaseUrl?: string;
}

/** The provider answered with an error status. */
export class SearchHttpError extends Error {
  constructor(
    readonly provider: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${provider} search answered HTTP ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'SearchHttpError';
  }
}

const endpoint = (base: string, path: string) => new URL(path, base.endsWith('/') ? base : `${base}/`);

async function json(provider: string, response: Response): Promise<Record<string, unknown>> {
  if (!response.ok)
    throw new SearchHttpError(provider, response.status, (await response.text()).slice(0, 300));
  return (await response.json()) as Record<string, unknown>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
// Brave marks matches with <strong> and escapes entities; the model wants plain text.
const plain = (s: unknown): string =>
  typeof s !== 'string'
    ? ''
    : s.replace(/<[^>]*>/g, '').replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, e: string) => {
        if (e[0] === '#') {
          const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
          return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
        }
        return ENTITIES[e.toLowerCase()] ?? whole;
      });

const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

const normalised = (items: Record<string, unknown>[], url: string, snippet: string, count: number) =>
  items
    .map((r) => ({
      title: plain(r.title),
      url: typeof r[url] === 'string' ? (r[url] as string) : '',
      snippet: plain(r[snippet]),
    }))
    .filter((r) => r.url !== '')
    .slice(0, count);

/** Brave Search API: GET /res/v1/web/search?q=&count=, key in X-Subscription-Token. */
export function braveProvider(apiKey: string, base = 'https://api.search.brave.com'): SearchProvider {
  return {
    name: 'brave',
    async search(query, count, signal) {
      const url = endpoint(base, 'res/v1/web/search');
      url.searchParams.set('q', query);
      url.searchParams.set('count', String(count));
      const response = await fetch(url, {
        headers: { accept: 'application/json', 'x-subscription-token': apiKey },
        signal,
      });
      const body = await json('brave', response);
      const web = (body.web ?? {}) as Record<string, unknown>;
      return normalised(list(web.results), 'url', 'description', count);
    },
  };
}

/** Tavily: POST /search {query, max_results}, key as a bearer token. */
export function tavilyProvider(apiKey: string, base = 'https://api.tavily.com'): SearchProvider {
  return {
    name: 'tavily',
    async search(query, count, signal) {
      const response = await fetch(endpoint(base, 'search'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ query, max_results: count, search_depth: 'basic' }),
        signal,
      });
      return normalised(list((await json('tavily', response)).results), 'url', 'content', count);
    },
  };
}

/** Serper (Google results): POST /search {q, num}, key in X-API-KEY. */
export function serperProvider(apiKey: string, base = 'https://google.serper.dev'): SearchProvider {
  return {
    name: 'serper',
    async search(query, count, signal) {
      const response = await fetch(endpoint(base, 'search'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({ q: query, num: count }),
        signal,
      });
      return normalised(list((await json('serper', response)).organic), 'link', 'snippet', count);
    },
  };
}

/** The first provider with a key (Brave, then Tavily, then Serper), or undefined: no web_search at all. */
export function searchProviderFor(keys: SearchKeys): SearchProvider | undefined {
  const base = keys.searchBaseUrl;
  if (keys.braveApiKey) return braveProvider(keys.braveApiKey, base);
  if (keys.tavilyApiKey) return tavilyProvider(keys.tavilyApiKey, base);
  if (keys.serperApiKey) return serperProvider(keys.serperApiKey, base);
  return undefined;
}
