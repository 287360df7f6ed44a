// Base64 without Buffer: atob/btoa exist in Node, Deno, Bun, browsers and edge runtimes, so the
// verifier that the SDK re-exports does not drag in node-only APIs.

/** Standard (not URL-safe) base64 with padding, the alphabet Standard Webhooks uses for keys and signatures. */
const CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Decodes padded standard base64; undefined for anything else (atob alone would accept sloppy input). */
export function base64ToBytes(text: string): Uint8Array | undefined {
  if (!CANONICAL.test(text)) return undefined;
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
