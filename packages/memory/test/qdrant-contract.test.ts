// The VectorStore contract on a real Qdrant server, when one is reachable (QDRANT_URL, default
// http://127.0.0.1:6333). Without one the suite is skipped, loudly: the wire tests still run.
import { randomBytes } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import { QdrantVectorStore } from '../src/index.ts';
import { vectorStoreContract } from './vector-store-contract.ts';

const url = process.env.QDRANT_URL ?? 'http://127.0.0.1:6333';
const apiKey = process.env.QDRANT_API_KEY;

/** True only for a server that says it is Qdrant (not just anything listening on the port). */
async function isQdrant(): Promise<boolean> {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(1000),
      headers: apiKey ? { 'api-key': apiKey } : {},
    });
    const body = (await res.json()) as { title?: unknown };
    return typeof body.title === 'string' && body.title.includes('qdrant');
  } catch {
    return false;
  }
}

const reachable = await isQdrant();
if (!reachable) {
  console.warn(
    `Qdrant contract suite skipped: no server at ${url} (start Qdrant or set QDRANT_URL to run it)`,
  );
}

vectorStoreContract(
  'qdrant',
  async () => {
    const collection = `agentq_contract_${randomBytes(4).toString('hex')}`;
    const client = new QdrantClient({ url, ...(apiKey ? { apiKey } : {}), checkCompatibility: false });
    return {
      store: new QdrantVectorStore({ client, collection }),
      cleanup: async () => {
        await client.deleteCollection(collection);
      },
    };
  },
  reachable ? {} : { skip: `no Qdrant server at ${url}` },
);
