/**
 * Removes secret values from anything that may be logged, stored or bundled. Secrets are
 * registered as they are resolved from config; well-known token shapes are masked even when
 * they were never registered (a token pasted into an error message by an upstream API).
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  /** The secrets longest first (so a secret that contains another is masked whole); rebuilt on `add`. */
  private ordered: string[] = [];
  static readonly mask = '[REDACTED]';

  /** Registers a secret value. Very short values are ignored: masking "a" would destroy every message. */
  add(value: string): void {
    if (value.length < 4 || this.secrets.has(value)) return;
    this.secrets.add(value);
    this.ordered = [...this.secrets].sort((a, b) => b.length - a.length);
  }

  /**
   * Registers the password of a URL (a database or proxy URL), as written (percent-encoded, as it
   * appears in a URL) and decoded (as it is sent). An unparseable URL holds no password to add.
   */
  addUrlPassword(url: string): void {
    const password = URL.canParse(url) ? new URL(url).password : '';
    if (!password) return;
    this.add(password);
    try {
      this.add(decodeURIComponent(password));
    } catch {
      // Not valid percent-encoding: the password is used as written, already added.
    }
  }

  /**
   * Returns the string with every registered secret and token-shaped value masked. A string with
   * nothing to mask is returned as it is, not copied: a collection redacts every string of every
   * record (hundreds of thousands at scale 50), and copies of clean strings were pure garbage.
   */
  redact(text: string): string {
    let out = text;
    for (const secret of this.ordered) {
      if (out.includes(secret)) out = out.split(secret).join(Redactor.mask);
    }
    // Most strings hold none of these shapes: a test (which builds no match result) comes first.
    if (tokenShape.test(out)) out = out.replace(tokenShapes, Redactor.mask);
    if (headerShape.test(out)) out = out.replace(headerShapes, `$1$2$3${Redactor.mask}`);
    if (queryShape.test(out)) out = out.replace(queryShapes, `$1${Redactor.mask}`);
    return out;
  }

  /**
   * Deep-redacts strings inside a JSON-like value (objects, arrays); other values are kept. A
   * reference cycle (possible in a logged object) becomes `"[Circular]"` instead of overflowing the stack.
   *
   * A plain object or array in which nothing was masked is returned as it is (the result may
   * share it with the input): every record's payload and request list pass through here, and
   * copying clean ones doubled what a collection allocated. Other objects (class instances,
   * `Date`) still become plain copies of their enumerable properties, as before.
   */
  redactDeep<T>(value: T): T {
    return this.#redactDeep(value, []) as T;
  }

  /** `ancestors`: the objects above `value` (a short stack, so an array: no hash set per call). */
  #redactDeep(value: unknown, ancestors: object[]): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (value === null || typeof value !== 'object') return value;
    if (ancestors.includes(value)) return '[Circular]';
    ancestors.push(value);
    try {
      if (Array.isArray(value)) {
        let out: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          const r = this.#redactDeep(v, ancestors);
          if (r !== v && !out) out = value.slice(0, i);
          out?.push(r);
        }
        return out ?? (isSharable(value) ? value : [...value]);
      }
      const record = value as Record<string, unknown>;
      if (isSharable(value)) {
        // A plain object has no inherited enumerable keys: for-in visits exactly Object.keys, without the array.
        let out: Record<string, unknown> | undefined;
        let i = 0;
        for (const k in record) {
          const v = record[k];
          const r = this.#redactDeep(v, ancestors);
          if (r !== v && !out) {
            out = {};
            let j = 0;
            for (const before in record) {
              if (j++ === i) break;
              out[before] = record[before];
            }
          }
          if (out) out[k] = r;
          i++;
        }
        return out ?? value;
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(record)) out[k] = this.#redactDeep(record[k], ancestors);
      return out;
    } finally {
      ancestors.pop();
    }
  }
}

// The shapes `redact` masks without being told the secret; each `…Shape` (no `g` flag, so `test`
// keeps no state) finds whether its `…Shapes` would replace anything.
const tokenShapes = /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g;
const tokenShape = new RegExp(tokenShapes.source);
const headerShapes = /\b(authorization|x-api-key|api[_-]?key)(["']?\s*[:=]\s*["']?)(bearer |token |basic )?[^\s"',}]+/gi;
const headerShape = new RegExp(headerShapes.source, 'i');
const queryShapes = /([?&](?:access_token|token|api_key|key|sig|signature|client_secret|code)=)[^&#\s]+/gi;
const queryShape = new RegExp(queryShapes.source, 'i');

/**
 * Whether a value may be returned as it is when nothing in it was masked: an array or a plain
 * object (a copy of anything else is a plain object, so it stays a copy), without an own
 * `__proto__` key (which a copy would assign as the prototype). A shared object may keep
 * non-enumerable or symbol keys a copy drops; JSON, what the store and the logger write, has
 * neither.
 */
function isSharable(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  if (Array.isArray(value)) return proto === Array.prototype;
  return proto === Object.prototype && !Object.hasOwn(value, '__proto__');
}
