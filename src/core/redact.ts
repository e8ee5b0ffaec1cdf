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
   * Returns the string with every registered secret and token-shaped value masked. A string with
   * nothing to mask is returned as it is, not copied: a collection redacts every string of every
   * record (hundreds of thousands at scale 50), and copies of clean strings were pure garbage.
   */
  redact(text: string): string {
    let out = text;
    for (const secret of this.ordered) {
      if (out.includes(secret)) out = out.split(secret).join(Redactor.mask);
    }
    // `replace` returns its input unchanged when the pattern does not match.
    return out
      .replace(/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, Redactor.mask)
      .replace(/\b(authorization|x-api-key|api[_-]?key)(["']?\s*[:=]\s*["']?)(bearer |token |basic )?[^\s"',}]+/gi, `$1$2$3${Redactor.mask}`)
      .replace(/([?&](?:access_token|token|api_key|key|sig|signature|client_secret|code)=)[^&#\s]+/gi, `$1${Redactor.mask}`);
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
    return this.#redactDeep(value, new Set()) as T;
  }

  #redactDeep(value: unknown, ancestors: Set<object>): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (value === null || typeof value !== 'object') return value;
    if (ancestors.has(value)) return '[Circular]';
    ancestors.add(value);
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
      const keys = Object.keys(record);
      let out: Record<string, unknown> | undefined = isSharable(value) ? undefined : {};
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const v = record[k];
        const r = this.#redactDeep(v, ancestors);
        if (r !== v && !out) {
          out = {};
          for (let j = 0; j < i; j++) out[keys[j]!] = record[keys[j]!];
        }
        if (out) out[k] = r;
      }
      return out ?? value;
    } finally {
      ancestors.delete(value);
    }
  }
}

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
