/**
 * Canonical serialisation and hashing. Two equal values always serialise to the
 * same bytes (object keys sorted, Decimals and bigints as strings, no undefined),
 * which is what makes journal hashes comparable across runs and machines.
 *
 * canonicalJson is on the journal's hot path, so it avoids the obvious costs:
 * no map/join, numbers and plain strings without JSON.stringify, and the sorted
 * key order of each object shape (its own key list) computed once and cached.
 */
import { createHash } from 'node:crypto';
import { Decimal } from './decimal.ts';
import { ConcordError } from './errors.ts';

/**
 * The canonical JSON text of `value`: object keys in code-unit order, undefined
 * object fields dropped (undefined elsewhere is `null`), Decimals and bigints as
 * strings, −0 as 0, objects with `toJSON` serialised through it. Throws
 * CONCORD_ERR_CANONICAL_JSON for NaN, ±Infinity, functions and symbols.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value);
}

function serialize(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return numberText(value);
    case 'object':
      if (value === null) return 'null';
      // Decimal and bigint texts are digits, '-' and '.': nothing to escape.
      if (value instanceof Decimal) return `"${value.toString()}"`;
      if (Array.isArray(value)) return serializeArray(value);
      return serializeObject(value as Record<string, unknown>);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value.toString()}"`;
    case 'undefined':
      return 'null';
    default:
      throw new ConcordError('CONCORD_ERR_CANONICAL_JSON', `cannot serialise a ${typeof value}`);
  }
}

function numberText(value: number): string {
  if (value - value !== 0) {
    // Only NaN and ±Infinity fail x − x === 0.
    throw new ConcordError('CONCORD_ERR_CANONICAL_JSON', 'cannot serialise a non-finite number', {
      details: { value: String(value) },
    });
  }
  // Number-to-string is what JSON.stringify uses for finite numbers, and it prints −0 as "0".
  return `${value}`;
}

/** Quotes, backslashes, control characters and (lone) surrogates need JSON.stringify's escaping. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function serializeArray(array: readonly unknown[]): string {
  const n = array.length;
  if (n === 0) return '[]';
  let out = '[';
  for (let i = 0; i < n; i++) {
    if (i > 0) out += ',';
    const element = array[i];
    if (typeof element === 'number') out += numberText(element);
    else if (isNumberPair(element)) out += `[${numberText(element[0])},${numberText(element[1])}]`;
    // A hole serialises to nothing, as Array.prototype.map + join always did here.
    else if (element !== undefined || i in array) out += serialize(element);
  }
  return `${out}]`;
}

/** Book levels: `[price, size]` arrays are most of a depth payload. */
function isNumberPair(value: unknown): value is readonly [number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'number' &&
    typeof value[1] === 'number' &&
    !(value instanceof Decimal)
  );
}

function serializeObject(obj: Record<string, unknown>): string {
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return serialize(toJSON.call(obj));
  const shape = shapeOf(Object.keys(obj));
  const keys = shape.sortedKeys;
  let out = '{';
  let prefixes = shape.firstPrefixes;
  for (let i = 0; i < keys.length; i++) {
    const v = obj[keys[i] as string];
    if (v === undefined) continue;
    out += prefixes[i] as string;
    out += serialize(v);
    prefixes = shape.prefixes;
  }
  return `${out}}`;
}

/** An object shape: its keys in canonical order, each with its `"key":` text ready (with and without a leading comma). */
interface Shape {
  readonly sortedKeys: readonly string[];
  readonly firstPrefixes: readonly string[];
  readonly prefixes: readonly string[];
}

/** A trie over key lists in own-key order; each node that ends a list holds that list's shape. */
interface ShapeNode {
  next: Map<string, ShapeNode> | undefined;
  shape: Shape | undefined;
}

/** Objects with more keys than this are dictionaries more than shapes: sort them each time. */
const MAX_CACHED_KEYS = 24;
/** Bounds the cache when keys are data (ids as keys): beyond it, new shapes are sorted each time. */
const MAX_SHAPE_NODES = 20_000;
const shapeRoot: ShapeNode = { next: undefined, shape: undefined };
let shapeNodes = 0;

function shapeOf(keys: string[]): Shape {
  if (keys.length > MAX_CACHED_KEYS) return makeShape(keys);
  let node = shapeRoot;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    let child = node.next?.get(key);
    if (child === undefined) {
      if (shapeNodes >= MAX_SHAPE_NODES) return makeShape(keys);
      child = { next: undefined, shape: undefined };
      if (node.next === undefined) node.next = new Map();
      node.next.set(key, child);
      shapeNodes++;
    }
    node = child;
  }
  if (node.shape === undefined) node.shape = makeShape(keys.slice());
  return node.shape;
}

function makeShape(keys: string[]): Shape {
  // Default sort: UTF-16 code-unit order, the canonical key order.
  const sortedKeys = keys.sort();
  const firstPrefixes = sortedKeys.map((k) => `${JSON.stringify(k)}:`);
  const prefixes = firstPrefixes.map((p) => `,${p}`);
  return { sortedKeys, firstPrefixes, prefixes };
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export const GENESIS_HASH = '0'.repeat(64);
