import { createHash } from 'node:crypto';

/**
 * Canonical JSON per RFC 8785, the JSON Canonicalization Scheme (JCS): object members sorted by
 * the UTF-16 code units of their names (also integer-like names, which a JavaScript object would
 * otherwise put first), no insignificant white space, numbers and strings written as ECMAScript's
 * JSON.stringify writes them. Members whose value is `undefined` are dropped (as JSON.stringify
 * does); values with `toJSON` (dates) are serialized through it. Two payloads that mean the same
 * thing get the same bytes, so the same digest, which is what makes the store content-addressed,
 * and any RFC 8785 implementation recomputes the digests Annexa records.
 *
 * Throws on what JSON cannot hold exactly: NaN and infinities, bigints, a top-level `undefined`.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) throw new TypeError('canonical JSON: undefined is not a JSON value');
  return serialize(value);
}

function serialize(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${value} is not a JSON number (RFC 8785 rejects NaN and infinities)`);
      // ECMAScript Number-to-string, as RFC 8785 prescribes (-0 becomes 0).
      return JSON.stringify(value);
    case 'bigint':
      throw new TypeError('canonical JSON: bigint is not a JSON number');
    case 'object': {
      const withToJson = value as { toJSON?: () => unknown };
      if (typeof withToJson.toJSON === 'function') return serialize(withToJson.toJSON());
      // Built by concatenation, not map/filter/join: every stored payload passes through here, and
      // the intermediate arrays were a large share of what a collection allocated.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (i > 0) out += ',';
          out += isAbsent(item) ? 'null' : serialize(item);
        }
        return out + ']';
      }
      const record = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units: exactly RFC 8785's member order.
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (isAbsent(member)) continue;
        if (!first) out += ',';
        first = false;
        out += JSON.stringify(key) + ':' + serialize(member);
      }
      return out + '}';
    }
    default:
      // Functions and symbols, as JSON.stringify treats them inside arrays.
      return 'null';
  }
}

/** What JSON.stringify leaves out of objects (and writes as null in arrays). */
function isAbsent(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** Strings hashed in slices of this many UTF-16 units. */
const hashSlice = 1 << 16;

/**
 * Lower-case hex sha256 of a string (as UTF-8) or bytes.
 *
 * A long string is fed to the hash in slices: Node converts the string it is given to UTF-8 in a
 * buffer sized for the worst case, three bytes per unit, so hashing a 6.5 MB tree text at once
 * took 19.5 MB of native memory for a moment (heaptrack, scale-50 collection). A slice never ends
 * between the two halves of a surrogate pair, so the bytes hashed are exactly the string's UTF-8.
 */
export function sha256Hex(data: string | Uint8Array): string {
  const hash = createHash('sha256');
  if (typeof data !== 'string' || data.length <= hashSlice) return hash.update(data).digest('hex');
  for (let start = 0; start < data.length; ) {
    let end = Math.min(start + hashSlice, data.length);
    // A high surrogate at the end of a slice stays with its low half in the next one.
    if (end < data.length && (data.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
    hash.update(data.slice(start, end));
    start = end;
  }
  return hash.digest('hex');
}
