import { inspect } from 'node:util';

/**
 * A resolved secret. It never prints itself: `String()`, `JSON.stringify` and `util.inspect`
 * all give `[REDACTED]`, so a config object can be logged without leaking; `reveal()` is the
 * one explicit way out, used where the value is put on the wire.
 */
export class Secret {
  readonly #value: string;
  constructor(
    value: string,
    /** Where it came from (`env:GITHUB_TOKEN`, `file:/run/secrets/x`), safe to show. */
    readonly source: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[REDACTED]';
  }
  toJSON(): string {
    return '[REDACTED]';
  }
  [inspect.custom](): string {
    return `Secret(${this.source})`;
  }
}
