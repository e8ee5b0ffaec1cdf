/**
 * Seeded pseudo-random numbers for the sandbox.
 *
 * Everything the sandbox generates must be a pure function of its inputs
 * (scale, clock, seed) so that demos and tests are reproducible byte for
 * byte. `Math.random` is therefore never used; all randomness flows through
 * {@link SeededRandom}.
 */

/**
 * 32-bit FNV-1a hash of a string. Used to derive independent seeds from
 * labels (see {@link SeededRandom.fork}) and for short deterministic ids.
 */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A small, fast, seeded PRNG (mulberry32) with convenience helpers.
 *
 * Not cryptographically secure — it only has to be deterministic.
 */
export class SeededRandom {
  /** The seed this generator was created with (kept so forks are order-independent). */
  readonly seed: number;
  private state: number;

  /** @param seed - any number; it is reduced to an unsigned 32-bit integer. */
  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  /** Next float in [0, 1). */
  next(): number {
    // mulberry32: https://gist.github.com/tommyettinger/46a874533244883189143505d203312c
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`int(): max ${max} < min ${min}`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Float in [min, max). */
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick(): empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** A shuffled copy (Fisher–Yates); the input is not modified. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** `count` distinct elements (or all of them if fewer), in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, count));
  }

  /** `length` lowercase hex characters (e.g. for commit SHAs). */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }

  /**
   * An independent generator derived from this generator's *seed* and a label.
   *
   * Forks do not depend on how many numbers were drawn before, so adding a new
   * random decision in one part of the generator does not reshuffle unrelated
   * parts of the synthetic world.
   */
  fork(label: string): SeededRandom {
    return new SeededRandom(hashString(`${this.seed}:${label}`));
  }
}

/** Convenience constructor for {@link SeededRandom}. */
export function createRandom(seed: number): SeededRandom {
  return new SeededRandom(seed);
}
