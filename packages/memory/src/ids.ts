// Deterministic memory ids. A memory's id is derived from who owns it and what it is, so writing the
// same memory again (a retried tool call, a re-run job) lands on the same row/point instead of a copy.
import { createHash } from 'node:crypto';

/** Namespace of agentq memory ids (a fixed random UUID; changing it would orphan every stored id). */
export const MEMORY_ID_NAMESPACE = '7c0f3d52-5e1b-4f0e-9a63-2d8b4c1e9f70';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/** RFC 9562 UUID version 5 (SHA-1 of namespace + name): both Postgres `uuid` and Qdrant point ids accept it. */
export function uuidV5(name: string, namespace: string): string {
  if (!isUuid(namespace)) throw new TypeError(`namespace is not a UUID: ${namespace}`);
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The key of a memory identified by its text: whitespace differences do not make a second memory. */
export function contentKey(content: string): string {
  const canonical = content.trim().replace(/\s+/g, ' ');
  return `content:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}

/**
 * The id of a memory. Tenant and user are part of the name, so two owners can never share (and
 * overwrite) one id even when they store the same text. JSON keeps the parts unambiguous.
 */
export function memoryId(owner: { tenantId: string; userId: string; key: string }): string {
  return uuidV5(JSON.stringify([owner.tenantId, owner.userId, owner.key]), MEMORY_ID_NAMESPACE);
}
