// A small parser for the subset of the Prisma schema language prisma/schema.prisma uses, so the tests can
// compare the schema with the migrated database without Prisma's engines. Anything outside the subset
// (enums, views, unknown attributes, unknown types) throws instead of being skipped, so the comparison
// can never pass by ignoring something.

export interface Attribute {
  /** Without the `@`: `id`, `unique`, `default`, `map`, `relation`, `db.Uuid`, … */
  name: string;
  /** The text between the parentheses, or undefined when there are none. */
  args: string | undefined;
}

export interface ScalarColumn {
  field: string;
  column: string;
  /** Prisma scalar type: String, Int, BigInt, Boolean, Float, Decimal, DateTime, Json, Bytes. */
  type: string;
  list: boolean;
  optional: boolean;
  native: { name: string; args: string[] } | undefined;
  id: boolean;
  unique: boolean;
  /** The @default argument as written, e.g. `now()`, `0`, `"queued"`. */
  default: string | undefined;
}

export interface Relation {
  field: string;
  target: string;
  /** Field names of this model. */
  fields: string[];
  /** Field names of the target model. */
  references: string[];
  onDelete: string | undefined;
  onUpdate: string | undefined;
  map: string | undefined;
  /** True when every local field is optional (Prisma's default actions depend on it). */
  optional: boolean;
}

export interface IndexColumn {
  column: string;
  desc: boolean;
}

export interface ModelIndex {
  columns: IndexColumn[];
  map: string | undefined;
}

export interface PrismaModel {
  name: string;
  table: string;
  columns: ScalarColumn[];
  primaryKey: { columns: string[]; map: string | undefined } | undefined;
  uniques: ModelIndex[];
  indexes: ModelIndex[];
  relations: Relation[];
}

const SCALARS = new Set([
  'String',
  'Int',
  'BigInt',
  'Boolean',
  'Float',
  'Decimal',
  'DateTime',
  'Json',
  'Bytes',
]);
const FIELD_ATTRIBUTES = new Set(['id', 'unique', 'default', 'map', 'relation', 'updatedAt']);
const BLOCK_ATTRIBUTES = new Set(['id', 'unique', 'index', 'map']);

/** Removes `//` and `///` comments (outside strings). */
function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && inString) i++;
    else if (ch === '"') inString = !inString;
    else if (!inString && ch === '/' && line[i + 1] === '/') return line.slice(0, i);
  }
  return line;
}

/** Splits on `sep` at depth 0 (outside parentheses, brackets, braces and strings). */
export function splitTopLevel(text: string, sep = ','): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === sep && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last) parts.push(last);
  return parts;
}

/** Reads `@a @b(x) @db.C(1, 2)` (or `@@…`) into attributes. */
export function parseAttributes(text: string, prefix: '@' | '@@'): Attribute[] {
  const out: Attribute[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    if (!text.startsWith(prefix, i) || (prefix === '@' && text[i + 1] === '@')) {
      throw new Error(`cannot parse attribute at "${text.slice(i)}"`);
    }
    i += prefix.length;
    const name = /^[A-Za-z_][\w.]*/.exec(text.slice(i))?.[0];
    if (!name) throw new Error(`attribute without a name in "${text}"`);
    i += name.length;
    let args: string | undefined;
    if (text[i] === '(') {
      let depth = 0;
      let inString = false;
      const start = i + 1;
      for (; i < text.length; i++) {
        const ch = text[i];
        if (inString) {
          if (ch === '\\') i++;
          else if (ch === '"') inString = false;
        } else if (ch === '"') inString = true;
        else if (ch === '(') depth++;
        else if (ch === ')' && --depth === 0) break;
      }
      if (depth !== 0) throw new Error(`unbalanced parentheses in "${text}"`);
      args = text.slice(start, i).trim();
      i++;
    }
    out.push({ name, args });
  }
  return out;
}

const unquote = (s: string): string => {
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(s.trim());
  if (!m) throw new Error(`expected a string literal, got ${s}`);
  return m[1]!.replace(/\\(.)/g, '$1');
};

/** `[a, b(sort: Desc)]` → entries. */
function parseList(text: string): string[] {
  const t = text.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) throw new Error(`expected a [list], got ${text}`);
  return splitTopLevel(t.slice(1, -1));
}

/** Named arguments (`fields: [...], onDelete: Cascade`) plus the positional first one under "". */
function parseArgs(args: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, part] of splitTopLevel(args ?? '').entries()) {
    const m = /^(\w+)\s*:\s*([\s\S]+)$/.exec(part);
    if (m && !part.startsWith('"')) out.set(m[1]!, m[2]!.trim());
    else if (i === 0) out.set('', part);
    else throw new Error(`unexpected positional argument ${part} in (${args})`);
  }
  return out;
}

interface RawField {
  name: string;
  type: string;
  list: boolean;
  optional: boolean;
  attributes: Attribute[];
}

interface RawModel {
  name: string;
  fields: RawField[];
  blockAttributes: Attribute[];
}

function readBlocks(source: string): RawModel[] {
  const models: RawModel[] = [];
  let current: RawModel | undefined;
  let skipping = false;
  for (const [n, original] of source.split('\n').entries()) {
    const line = stripComment(original).trim();
    if (!line) continue;
    const where = `line ${n + 1}: ${original.trim()}`;
    if (!current && !skipping) {
      const block = /^(\w+)\s+(\w+)\s*\{$/.exec(line);
      if (!block) throw new Error(`unexpected text outside a block at ${where}`);
      if (block[1] === 'model') current = { name: block[2]!, fields: [], blockAttributes: [] };
      else if (block[1] === 'generator' || block[1] === 'datasource') skipping = true;
      else throw new Error(`unsupported block "${block[1]}" at ${where}`);
      continue;
    }
    if (line === '}') {
      if (current) models.push(current);
      current = undefined;
      skipping = false;
      continue;
    }
    if (skipping || !current) continue;
    if (line.startsWith('@@')) {
      current.blockAttributes.push(...parseAttributes(line, '@@'));
      continue;
    }
    const field = /^(\w+)\s+(\w+)(\[\]|\?)?\s*(.*)$/.exec(line);
    if (!field) throw new Error(`cannot parse field at ${where}`);
    current.fields.push({
      name: field[1]!,
      type: field[2]!,
      list: field[3] === '[]',
      optional: field[3] === '?',
      attributes: parseAttributes(field[4] ?? '', '@'),
    });
  }
  if (current || skipping) throw new Error('unterminated block at end of schema');
  return models;
}

/** Parses the models of a schema (generator and datasource blocks are skipped). */
export function parsePrismaSchema(source: string): PrismaModel[] {
  const raw = readBlocks(source);
  const modelNames = new Set(raw.map((m) => m.name));
  const columnOf = (modelName: string, fieldName: string): string => {
    const model = raw.find((m) => m.name === modelName);
    const f = model?.fields.find((x) => x.name === fieldName);
    if (!f) throw new Error(`model ${modelName} has no field ${fieldName}`);
    const map = f.attributes.find((a) => a.name === 'map');
    return map ? unquote(map.args ?? '') : f.name;
  };

  return raw.map((m): PrismaModel => {
    const columns: ScalarColumn[] = [];
    const relations: Relation[] = [];
    const uniques: ModelIndex[] = [];
    const indexes: ModelIndex[] = [];
    let primaryKey: PrismaModel['primaryKey'];

    for (const f of m.fields) {
      const attr = (name: string) => f.attributes.find((a) => a.name === name);
      for (const a of f.attributes) {
        if (!FIELD_ATTRIBUTES.has(a.name) && !a.name.startsWith('db.')) {
          throw new Error(`unsupported attribute @${a.name} on ${m.name}.${f.name}`);
        }
      }
      if (modelNames.has(f.type) || attr('relation')) {
        const rel = attr('relation');
        const args = parseArgs(rel?.args);
        if (args.has('fields')) {
          const fields = parseList(args.get('fields')!);
          relations.push({
            field: f.name,
            target: f.type,
            fields,
            references: parseList(args.get('references') ?? '[]'),
            onDelete: args.get('onDelete'),
            onUpdate: args.get('onUpdate'),
            map: args.has('map') ? unquote(args.get('map')!) : undefined,
            optional: fields.every((name) => m.fields.find((x) => x.name === name)?.optional === true),
          });
        }
        continue; // relation fields have no column of their own
      }
      if (!SCALARS.has(f.type)) throw new Error(`unsupported type ${f.type} of ${m.name}.${f.name}`);
      const nativeAttrs = f.attributes.filter((a) => a.name.startsWith('db.'));
      if (nativeAttrs.length > 1) throw new Error(`two native types on ${m.name}.${f.name}`);
      const native = nativeAttrs[0];
      const column = columnOf(m.name, f.name);
      const id = attr('id');
      const unique = attr('unique');
      columns.push({
        field: f.name,
        column,
        type: f.type,
        list: f.list,
        optional: f.optional,
        native: native
          ? { name: native.name.slice(3), args: native.args ? splitTopLevel(native.args) : [] }
          : undefined,
        id: id !== undefined,
        unique: unique !== undefined,
        default: attr('default')?.args,
      });
      if (id) primaryKey = { columns: [column], map: mapArg(id.args) };
      if (unique) uniques.push({ columns: [{ column, desc: false }], map: mapArg(unique.args) });
    }

    let table = m.name;
    for (const a of m.blockAttributes) {
      if (!BLOCK_ATTRIBUTES.has(a.name)) throw new Error(`unsupported attribute @@${a.name} on ${m.name}`);
      if (a.name === 'map') {
        table = unquote(a.args ?? '');
        continue;
      }
      const args = parseArgs(a.args);
      const list = args.get('') ?? args.get('fields');
      if (!list) throw new Error(`@@${a.name} on ${m.name} names no fields`);
      const cols = parseList(list).map((entry): IndexColumn => {
        const e = /^(\w+)(?:\((.*)\))?$/.exec(entry);
        if (!e) throw new Error(`cannot parse index entry ${entry} on ${m.name}`);
        const opts = parseArgs(e[2]);
        for (const k of opts.keys())
          if (k !== 'sort') throw new Error(`unsupported index option ${k} on ${m.name}`);
        const sort = opts.get('sort');
        if (sort !== undefined && sort !== 'Asc' && sort !== 'Desc')
          throw new Error(`unsupported sort ${sort}`);
        return { column: columnOf(m.name, e[1]!), desc: sort === 'Desc' };
      });
      const map = args.has('map') ? unquote(args.get('map')!) : undefined;
      if (a.name === 'id') primaryKey = { columns: cols.map((c) => c.column), map };
      else if (a.name === 'unique') uniques.push({ columns: cols, map });
      else indexes.push({ columns: cols, map });
    }

    // Relation field names → column names, now that every model's columns are known.
    for (const r of relations) {
      r.fields = r.fields.map((f) => columnOf(m.name, f));
      r.references = r.references.map((f) => columnOf(r.target, f));
    }
    return { name: m.name, table, columns, primaryKey, uniques, indexes, relations };
  });
}

function mapArg(args: string | undefined): string | undefined {
  const map = parseArgs(args).get('map');
  return map === undefined ? undefined : unquote(map);
}

/**
 * The Postgres type (as `format_type` prints it) Prisma creates for a scalar field. Throws for a type or
 * native type this mapping does not know, so an unknown combination fails instead of passing.
 */
export function expectedSqlType(c: ScalarColumn): string {
  const n = c.native;
  const arg = (i: number, fallback?: string) => {
    const v = n?.args[i] ?? fallback;
    if (v === undefined) throw new Error(`@db.${n?.name} needs an argument`);
    return v;
  };
  let base: string | undefined;
  switch (c.type) {
    case 'String':
      if (!n || n.name === 'Text') base = 'text';
      else if (n.name === 'Uuid') base = 'uuid';
      else if (n.name === 'VarChar') base = `character varying(${arg(0)})`;
      break;
    case 'Int':
      if (!n || n.name === 'Integer') base = 'integer';
      else if (n.name === 'SmallInt') base = 'smallint';
      break;
    case 'BigInt':
      if (!n || n.name === 'BigInt') base = 'bigint';
      break;
    case 'Boolean':
      if (!n) base = 'boolean';
      break;
    case 'Float':
      if (!n || n.name === 'DoublePrecision') base = 'double precision';
      else if (n.name === 'Real') base = 'real';
      break;
    case 'Decimal':
      if (!n) base = 'numeric(65,30)';
      else if (n.name === 'Decimal') base = `numeric(${arg(0)},${arg(1)})`;
      break;
    case 'DateTime':
      if (!n) base = 'timestamp(3) without time zone';
      else if (n.name === 'Timestamptz') base = `timestamp(${arg(0, '6')}) with time zone`;
      else if (n.name === 'Timestamp') base = `timestamp(${arg(0, '6')}) without time zone`;
      break;
    case 'Json':
      if (!n || n.name === 'JsonB') base = 'jsonb';
      else if (n.name === 'Json') base = 'json';
      break;
    case 'Bytes':
      if (!n) base = 'bytea';
      break;
  }
  if (base === undefined) {
    throw new Error(
      `no SQL type known for ${c.type}${n ? ` @db.${n.name}(${n.args.join(', ')})` : ''} (${c.column})`,
    );
  }
  return c.list ? `${base}[]` : base;
}

/**
 * The column default Postgres reports (pg_get_expr) for a Prisma @default, or undefined for none.
 * Client-side defaults (uuid(), cuid()) have no database default.
 */
export function expectedSqlDefault(c: ScalarColumn): string | undefined {
  const d = c.default;
  if (d === undefined || d === 'uuid()' || d === 'cuid()') return undefined;
  if (d === 'now()') return 'CURRENT_TIMESTAMP';
  if (d === 'true' || d === 'false') return d;
  if (/^\d+(\.\d+)?$/.test(d)) return d;
  if (d.startsWith('"')) {
    const value = unquote(d).replace(/'/g, "''");
    if (c.type === 'String' && (!c.native || c.native.name === 'Text')) return `'${value}'::text`;
    if (c.type === 'Json') return `'${value}'::jsonb`;
  }
  throw new Error(`no SQL default known for @default(${d}) on ${c.column}`);
}

/** Prisma's default constraint and index names (used when no `map:` is given). */
export const prismaNames = {
  primaryKey: (table: string) => `${table}_pkey`,
  unique: (table: string, columns: string[]) => `${table}_${columns.join('_')}_key`,
  index: (table: string, columns: string[]) => `${table}_${columns.join('_')}_idx`,
  foreignKey: (table: string, columns: string[]) => `${table}_${columns.join('_')}_fkey`,
};
