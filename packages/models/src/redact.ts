// Error messages end up in job records, logs and API responses, so they must never carry a credential.
// Providers sometimes echo the key they received (OpenAI: "Incorrect API key provided: sk-abc***xyz").

/** Keys shorter than this are placeholders (e.g. for a local server), not secrets worth a pattern. */
const MIN_SECRET_LENGTH = 8;
/** Anything that looks like an OpenAI or Anthropic key, masked or not. */
const KEY_PATTERN = /\bsk-[A-Za-z0-9_*-]{4,}/g;

export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join('[redacted]');
  }
  return out.replace(KEY_PATTERN, '[redacted]');
}
