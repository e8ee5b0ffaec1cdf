/**
 * Removes secret values from anything that may be logged, stored or bundled. Secrets are
 * registered as they are resolved from config; well-known token shapes are masked even when
 * they were never registered (a token pasted into an error message by an upstream API).
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  static readonly mask = '[REDACTED]';

  /** Registers a secret value. Very short values are ignored: masking "a" would destroy every message. */
  add(value: string): void {
    if (value.length >= 4) this.secrets.add(value);
  }

  /** Returns the string with every registered secret and token-shaped value masked. */
  redact(text: string): string {
    let out = text;
    // Longest first so a secret that contains another is masked whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join(Redactor.mask);
    }
    return out
      .replace(/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, Redactor.mask)
      .replace(/\b(authorization|x-api-key|api[_-]?key)(["']?\s*[:=]\s*["']?)(bearer |token |basic )?[^\s"',}]+/gi, `$1$2$3${Redactor.mask}`)
      .replace(/([?&](?:access_token|token|api_key|key|sig|signature|client_secret|code)=)[^&#\s]+/gi, `$1${Redactor.mask}`);
  }

  /**
   * Deep-redacts strings inside a JSON-like value (objects, arrays); other values are kept. A
   * reference cycle (possible in a logged object) becomes `"[Circular]"` instead of overflowing the stack.
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
      if (Array.isArray(value)) return value.map((v) => this.#redactDeep(v, ancestors));
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.#redactDeep(v, ancestors);
      return out;
    } finally {
      ancestors.delete(value);
    }
  }
}
