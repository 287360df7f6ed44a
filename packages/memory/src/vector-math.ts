// Small vector helpers shared by the embedders and the stores.

export function norm(vector: readonly number[]): number {
  let sum = 0;
  for (const x of vector) sum += x * x;
  return Math.sqrt(sum);
}

/** Unit-length copy; a zero vector stays zero (it matches nothing rather than dividing by zero). */
export function normalize(vector: readonly number[]): number[] {
  const n = norm(vector);
  return n === 0 ? vector.map(() => 0) : vector.map((x) => x / n);
}

export function dot(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  const n = norm(a) * norm(b);
  return n === 0 ? 0 : dot(a, b) / n;
}

/** Throws unless the vector is a non-empty array of finite numbers (NaN would poison every score). */
export function assertVector(vector: readonly number[], what = 'vector'): void {
  if (!Array.isArray(vector) || vector.length === 0) throw new TypeError(`${what} must be a non-empty array`);
  for (const x of vector) {
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new TypeError(`${what} must hold finite numbers only`);
  }
}
