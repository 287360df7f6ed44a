// Tool-call arguments as OpenAI-style servers send them: a JSON string the model wrote, which may be
// empty, truncated, double-encoded or not JSON at all (small local models). A bad argument string must
// not crash the run: it becomes `{ _raw: "<the text>" }`, which fails the tool's input validation, and that
// error goes back to the model as the tool result so it can call again with valid JSON.

export function parseToolArguments(raw: unknown): Record<string, unknown> {
  // Some compatible servers (Ollama) already send an object.
  if (typeof raw === 'object' && raw !== null)
    return isPlainObject(raw) ? raw : { _raw: JSON.stringify(raw) };
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
    // A double-encoded object: "{\"city\":\"Paris\"}".
    if (typeof value === 'string') value = JSON.parse(value);
  } catch {
    return { _raw: raw };
  }
  return isPlainObject(value) ? value : { _raw: raw };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
