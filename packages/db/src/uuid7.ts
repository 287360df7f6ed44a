// Job ids are UUIDv7 (RFC 9562): a millisecond timestamp first, then a counter, then random bits. Sessions
// run their jobs in (created_at, id) order, and created_at has millisecond precision, so two jobs of a
// session submitted within one millisecond were ordered by their random v4 ids — the second could run
// first. Ids that increase with submission order (within a process) break that tie the right way. They
// also land at the right-hand end of the primary-key index instead of on random pages.
import { randomBytes } from 'node:crypto';

/** 12-bit counter (RFC 9562 §6.2, method 1): up to 4,096 ids per millisecond before borrowing the next one. */
const COUNTER_MAX = 0xfff;

let lastMs = 0;
let counter = 0;

/** A new UUIDv7, greater than every id this process made before it. */
export function uuid7(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    // Start low in the counter's range (random, so that processes don't share a sequence) to leave room.
    counter = randomBytes(1)[0]!;
  } else if (counter < COUNTER_MAX) {
    counter += 1;
  } else {
    // The counter ran out within this millisecond (or the clock went back): borrow the next millisecond.
    lastMs += 1;
    counter = 0;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
