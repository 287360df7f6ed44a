import { describe, expect, it } from 'vitest';
import { contentKey, isUuid, memoryId, uuidV5 } from '../src/index.ts';

describe('memory ids', () => {
  it('computes standard UUIDv5 (RFC 9562 example: www.example.com in the DNS namespace)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('derives one id per owner and key, and different ids for different owners or keys', () => {
    const id = memoryId({ tenantId: 't1', userId: 'u1', key: 'k' });
    expect(isUuid(id)).toBe(true);
    expect(memoryId({ tenantId: 't1', userId: 'u1', key: 'k' })).toBe(id);
    const others = [
      memoryId({ tenantId: 't2', userId: 'u1', key: 'k' }),
      memoryId({ tenantId: 't1', userId: 'u2', key: 'k' }),
      memoryId({ tenantId: 't1', userId: 'u1', key: 'k2' }),
      // Parts cannot run into each other: "t1"+"u1x" is not "t1u"+"1x".
      memoryId({ tenantId: 't1u', userId: '1', key: 'k' }),
    ];
    expect(new Set([id, ...others]).size).toBe(5);
  });

  it('keys content by its text, ignoring surrounding and repeated whitespace only', () => {
    expect(contentKey('  likes   green tea\n')).toBe(contentKey('likes green tea'));
    expect(contentKey('likes green tea')).not.toBe(contentKey('Likes green tea'));
    expect(contentKey('likes green tea')).toMatch(/^content:[0-9a-f]{64}$/);
  });
});
