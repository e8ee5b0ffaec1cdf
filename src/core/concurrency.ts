/**
 * Maps items with at most `concurrency` calls in flight and yields results in input order, so
 * collectors can overlap requests and still emit records deterministically.
 */
export async function* mapOrdered<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const launch = () => {
    if (next < items.length) {
      const index = next++;
      const promise = fn(items[index]!, index);
      // Rejections are observed when awaited in order; avoid unhandled-rejection noise meanwhile.
      promise.catch(() => undefined);
      pending.push(promise);
    }
  };
  for (let i = 0; i < concurrency; i++) launch();
  while (pending.length > 0) {
    const result = await pending.shift()!;
    launch();
    yield result;
  }
}

/** One answer of a cursor chain: its validated page and the cursor it names, if any. */
export interface ChainStep<P> {
  page: P;
  cursor: string | undefined;
}

/**
 * A cursor held in `field` of an API answer, validated or not: a non-empty string, else none (an
 * empty or missing cursor ends a chain, whichever API named it).
 */
export function cursorIn(answer: unknown, field: string): string | undefined {
  const cursor = answer !== null && typeof answer === 'object' ? (answer as Record<string, unknown>)[field] : undefined;
  return typeof cursor === 'string' && cursor !== '' ? cursor : undefined;
}

/**
 * The pages of a cursor chain. The next request leaves as soon as an answer arrives and its raw
 * body names the cursor (`peekCursor`), before the answer is validated (`validate`, a zod parse
 * of hundreds of records): validation then overlaps the next round trip instead of lengthening
 * every step of the chain. A page is yielded only once validated, and only when its validated
 * cursor is the one already followed; otherwise the chain fails. A failed validation, or a
 * consumer that stops early, lets the request ahead settle before the chain ends.
 */
export async function* cursorChain<Raw, P>(
  fetchPage: (cursor: string | undefined) => Promise<Raw>,
  peekCursor: (raw: Raw) => string | undefined,
  validate: (raw: Raw) => ChainStep<P>,
): AsyncGenerator<P> {
  let pending: Promise<Raw> | undefined = fetchPage(undefined);
  try {
    while (pending) {
      const raw: Raw = await pending;
      const followed = peekCursor(raw);
      pending = followed === undefined ? undefined : fetchPage(followed);
      // Observed when awaited in order; avoid unhandled-rejection noise while this page is validated.
      pending?.catch(() => undefined);
      const { page, cursor } = validate(raw);
      if (cursor !== followed) throw new Error(`cursor chain: the validated page names cursor ${String(cursor)}, but ${String(followed)} was followed`);
      yield page;
    }
  } finally {
    await pending?.catch(() => undefined);
  }
}

/**
 * Yields what `source` yields, asking it for the next item as soon as the current one is handed
 * over, so a cursor chain requests its next page while the consumer still processes (validates,
 * redacts, stores) the current one: the chain then takes its requests' time, not their time plus
 * the processing. At most one item is held ahead. An error of the item ahead surfaces when the
 * consumer reaches it; a consumer that stops early ends the source.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let ahead = iterator.next();
  let done = false;
  try {
    for (;;) {
      const current = await ahead;
      if (current.done) {
        done = true;
        return;
      }
      ahead = iterator.next();
      // Observed when awaited in order; avoid unhandled-rejection noise while the consumer works.
      ahead.catch(() => undefined);
      yield current.value;
    }
  } finally {
    if (!done) {
      // Let the request ahead settle before closing the source, so nothing runs on after the consumer stopped.
      await ahead.catch(() => undefined);
      await iterator.return?.();
    }
  }
}

/**
 * Runs up to `concurrency` sources at once and yields their items as they come (no order between
 * sources; each source's own order is kept). A source advances only when its item was taken, so a
 * slow consumer slows every source down instead of buffering their output. The first error ends
 * the merge (the other sources are closed) and is rethrown.
 */
export async function* mergeConcurrent<T>(sources: readonly (() => AsyncIterable<T>)[], concurrency: number): AsyncGenerator<T> {
  type Pull = { iterator: AsyncIterator<T>; result: IteratorResult<T> };
  const active = new Map<AsyncIterator<T>, Promise<Pull>>();
  let next = 0;
  const pull = (iterator: AsyncIterator<T>) => {
    const p = iterator.next().then((result) => ({ iterator, result }));
    p.catch(() => undefined);
    active.set(iterator, p);
  };
  const launch = () => {
    while (active.size < concurrency && next < sources.length) pull(sources[next++]!()[Symbol.asyncIterator]());
  };
  try {
    launch();
    while (active.size > 0) {
      const { iterator, result } = await Promise.race(active.values());
      if (result.done) {
        active.delete(iterator);
        launch();
        continue;
      }
      pull(iterator);
      yield result.value;
    }
  } finally {
    const open = [...active.entries()];
    active.clear();
    await Promise.all(open.map(async ([iterator, p]) => {
      await p.catch(() => undefined);
      await iterator.return?.(undefined).catch(() => undefined);
    }));
  }
}

/**
 * One source read once, as fast as it yields, by any number of readers: each {@link read} gets
 * every item from the first, those already read at once and the rest as they come. For a listing
 * several collectors need (GitHub's repository pages): one request chain, and a reader can start
 * work on the first items while the chain is still running. Items are kept until the listing is
 * dropped, as the collectors that share it hold them anyway. The source's error reaches every
 * reader once it has read the items before it.
 */
export class SharedListing<T> {
  private readonly items: T[] = [];
  private state: { ended: false } | { ended: true; failed: false } | { ended: true; failed: true; error: unknown } = { ended: false };
  private waiting: (() => void)[] = [];

  constructor(source: AsyncIterable<T>) {
    void this.pump(source);
  }

  /** Every item of the source, in its order. */
  async *read(): AsyncGenerator<T> {
    for (let i = 0; ; i++) {
      while (i >= this.items.length) {
        if (this.state.ended) {
          if (this.state.failed) throw this.state.error;
          return;
        }
        await new Promise<void>((wake) => this.waiting.push(wake));
      }
      yield this.items[i]!;
    }
  }

  private async pump(source: AsyncIterable<T>): Promise<void> {
    try {
      for await (const item of source) {
        this.items.push(item);
        this.wake();
      }
      this.state = { ended: true, failed: false };
    } catch (error) {
      this.state = { ended: true, failed: true, error };
    }
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }
}
