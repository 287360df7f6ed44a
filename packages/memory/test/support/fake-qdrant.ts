// A small HTTP server answering the Qdrant REST calls QdrantVectorStore makes, in Qdrant's documented
// response format ({result, status, time}), so the store can be exercised with the real client
// without a Qdrant server. It records every request for the wire assertions and keeps points in
// memory with just enough semantics (must-filters on match/has_id, cosine scoring, id-ordered scroll)
// for responses to be meaningful. It is a test double for the wire, not a stand-in for Qdrant's
// behaviour: the contract suite runs against a real server only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON that tests inspect
  body: any;
}

interface Point {
  id: string;
  vector: number[];
  payload: Record<string, unknown>;
}

interface Collection {
  size: number;
  distance: string;
  points: Map<string, Point>;
  indexes: Record<string, unknown>;
}

export interface FakeQdrant {
  url: string;
  requests: RecordedRequest[];
  collections: Map<string, Collection>;
  /** When set, creating a collection behaves as if another process created it first (409). */
  raceOnCreate: boolean;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: filters are arbitrary JSON
type Condition = any;

export async function startFakeQdrant(): Promise<FakeQdrant> {
  const requests: RecordedRequest[] = [];
  const collections = new Map<string, Collection>();
  const state = { raceOnCreate: false };

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const body = raw ? JSON.parse(raw) : undefined;
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      });
      try {
        route(req.method ?? '', url.pathname, body, res);
      } catch (error) {
        send(res, 400, { status: { error: `Wrong input: ${(error as Error).message}` }, time: 0 });
      }
    });
  });

  function route(method: string, path: string, body: Condition, res: ServerResponse): void {
    if (method === 'GET' && path === '/')
      return void send(res, 200, { title: 'qdrant - vector search engine', version: '1.18.0' });
    const m = /^\/collections\/([^/]+)(\/.*)?$/.exec(path);
    if (!m?.[1]) return void send(res, 404, { status: { error: 'Not found' }, time: 0 });
    const name = decodeURIComponent(m[1]);
    const rest = m[2] ?? '';
    const collection = collections.get(name);
    const ok = (result: unknown) => send(res, 200, { result, status: 'ok', time: 0.0001 });
    const missing = () =>
      send(res, 404, { status: { error: `Not found: Collection \`${name}\` doesn't exist!` }, time: 0 });

    if (method === 'GET' && rest === '/exists') return void ok({ exists: collection !== undefined });
    if (method === 'PUT' && rest === '') {
      if (collection || state.raceOnCreate) {
        if (!collection) collections.set(name, newCollection(body.vectors.size, body.vectors.distance));
        return void send(res, 409, {
          status: { error: `Wrong input: Collection \`${name}\` already exists!` },
          time: 0,
        });
      }
      collections.set(name, newCollection(body.vectors.size, body.vectors.distance));
      return void ok(true);
    }
    if (!collection) return void missing();
    if (method === 'DELETE' && rest === '') {
      collections.delete(name);
      return void ok(true);
    }
    if (method === 'GET' && rest === '') {
      return void ok({
        status: 'green',
        optimizer_status: 'ok',
        indexed_vectors_count: 0,
        points_count: collection.points.size,
        segments_count: 1,
        config: {
          params: {
            vectors: { size: collection.size, distance: collection.distance },
            shard_number: 1,
            replication_factor: 1,
          },
          hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000 },
          optimizer_config: {},
          wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        },
        payload_schema: collection.indexes,
      });
    }
    if (method === 'PUT' && rest === '/index') {
      collection.indexes[body.field_name] = { data_type: 'keyword', params: body.field_schema, points: 0 };
      return void ok({ operation_id: 1, status: 'completed' });
    }
    if (method === 'PUT' && rest === '/points') {
      for (const p of body.points) {
        if (p.vector.length !== collection.size) {
          throw new Error(`Vector dimension error: expected dim: ${collection.size}, got ${p.vector.length}`);
        }
        collection.points.set(String(p.id), { id: String(p.id), vector: p.vector, payload: p.payload ?? {} });
      }
      return void ok({ operation_id: 2, status: 'completed' });
    }
    const matching = () => [...collection.points.values()].filter((p) => matches(p, body.filter));
    if (method === 'POST' && rest === '/points/query') {
      const scored = matching()
        .map((p) => ({ id: p.id, version: 1, score: cosine(p.vector, body.query), payload: p.payload }))
        .sort((a, b) => b.score - a.score)
        .slice(0, body.limit ?? 10);
      return void ok({ points: scored });
    }
    if (method === 'POST' && rest === '/points/scroll') {
      const sorted = matching().sort((a, b) => a.id.localeCompare(b.id));
      const start = body.offset === undefined ? 0 : sorted.findIndex((p) => p.id >= body.offset);
      const from = start < 0 ? sorted.length : start;
      const page = sorted.slice(from, from + body.limit);
      const next = sorted[from + body.limit];
      return void ok({
        points: page.map((p) => ({ id: p.id, payload: p.payload })),
        next_page_offset: next?.id ?? null,
      });
    }
    if (method === 'POST' && rest === '/points/count') return void ok({ count: matching().length });
    if (method === 'POST' && rest === '/points/delete') {
      for (const p of matching()) collection.points.delete(p.id);
      return void ok({ operation_id: 3, status: 'completed' });
    }
    send(res, 404, { status: { error: `no route ${method} ${path}` }, time: 0 });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    collections,
    get raceOnCreate() {
      return state.raceOnCreate;
    },
    set raceOnCreate(value: boolean) {
      state.raceOnCreate = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function newCollection(size: number, distance: string): Collection {
  return { size, distance, points: new Map(), indexes: {} };
}

/** Only the conditions the store is expected to send; anything else is a 400, so tests notice. */
function matches(point: Point, filter: Condition): boolean {
  if (filter === undefined) return true;
  const unknownKeys = Object.keys(filter).filter((k) => k !== 'must');
  if (unknownKeys.length > 0) throw new Error(`unsupported filter clause ${unknownKeys.join(',')}`);
  return (filter.must as Condition[]).every((c) => {
    if (Array.isArray(c.has_id)) return c.has_id.map(String).includes(point.id);
    if (typeof c.key === 'string' && c.match && 'value' in c.match)
      return point.payload[c.key] === c.match.value;
    throw new Error(`unsupported condition ${JSON.stringify(c)}`);
  });
}

function cosine(a: number[], b: number[]): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] ?? 0) * (b[i] ?? 0);
    aa += (a[i] ?? 0) ** 2;
    bb += (b[i] ?? 0) ** 2;
  }
  return aa && bb ? ab / Math.sqrt(aa * bb) : 0;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
