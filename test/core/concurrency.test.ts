import { describe, expect, it } from 'vitest';
import { SharedListing, cursorChain, cursorIn, mergeConcurrent, readAhead } from '../../src/core/concurrency.js';

/** A source that logs when each item is started and finished, resolving items when told to. */
function pagedSource(count: number, log: string[]) {
  return (async function* () {
    for (let i = 1; i <= count; i++) {
      log.push(`request ${i}`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`answer ${i}`);
      yield i;
    }
  })();
}

describe('readAhead', () => {
  it('requests the next page while the consumer still processes the current one', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    for await (const page of readAhead(pagedSource(3, log))) {
      log.push(`process ${page} start`);
      await new Promise((r) => setTimeout(r, 20));
      log.push(`process ${page} end`);
      seen.push(page);
    }
    expect(seen).toEqual([1, 2, 3]);
    // Page 2 was requested (and answered) while page 1 was being processed.
    expect(log.indexOf('request 2')).toBeLessThan(log.indexOf('process 1 end'));
    expect(log.indexOf('answer 2')).toBeLessThan(log.indexOf('process 1 end'));
    // Never more than one page ahead: page 3 is requested only once page 1 is done and page 2 handed over.
    expect(log.indexOf('request 3')).toBeGreaterThan(log.indexOf('process 1 end'));
  });

  it('surfaces the error of the page ahead when the consumer reaches it, after the pages before it', async () => {
    const source = (async function* () {
      yield 1;
      throw new Error('page 2 failed');
    })();
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const page of readAhead(source)) seen.push(page);
      })(),
    ).rejects.toThrow('page 2 failed');
    expect(seen).toEqual([1]);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    const source = (async function* () {
      try {
        for (let i = 1; ; i++) yield i;
      } finally {
        closed = true;
      }
    })();
    for await (const page of readAhead(source)) if (page === 2) break;
    expect(closed).toBe(true);
  });
});

describe('mergeConcurrent', () => {
  it('runs sources side by side, keeps each source in order, and bounds how many run at once', async () => {
    let running = 0;
    let peak = 0;
    const source = (name: string, n: number) => async function* () {
      running++;
      peak = Math.max(peak, running);
      try {
        for (let i = 1; i <= n; i++) {
          await new Promise((r) => setTimeout(r, 10));
          yield `${name}${i}`;
        }
      } finally {
        running--;
      }
    };
    const out: string[] = [];
    for await (const item of mergeConcurrent([source('a', 5), source('b', 5), source('c', 5)], 2)) out.push(item);
    expect(out.sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'b1', 'b2', 'b3', 'b4', 'b5', 'c1', 'c2', 'c3', 'c4', 'c5']);
    for (const name of ['a', 'b', 'c']) expect(out.filter((x) => x.startsWith(name))).toEqual([1, 2, 3, 4, 5].map((i) => `${name}${i}`));
    // Side by side (two had started before either ended), never more than two.
    expect(peak).toBe(2);
  });

  it('rethrows the first error and closes the other sources', async () => {
    let closed = false;
    const endless = async function* () {
      try {
        for (;;) {
          await new Promise((r) => setTimeout(r, 1));
          yield 'x';
        }
      } finally {
        closed = true;
      }
    };
    const failing = async function* () {
      await new Promise((r) => setTimeout(r, 5));
      yield 'y';
      throw new Error('region failed');
    };
    await expect(
      (async () => {
        for await (const _ of mergeConcurrent([endless, failing], 2)) void _;
      })(),
    ).rejects.toThrow('region failed');
    expect(closed).toBe(true);
  });
});

/** Every item a reader of the listing gets. */
async function readAll<T>(listing: SharedListing<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of listing.read()) items.push(item);
  return items;
}

describe('SharedListing', () => {
  it('reads its source once, and hands each item to every reader as soon as it has come', async () => {
    const log: string[] = [];
    const listing = new SharedListing(pagedSource(3, log));
    const early: string[] = [];
    // The first reader sees page 1 before page 3 has been requested: it need not wait for the listing.
    const first = (async () => {
      for await (const page of listing.read()) early.push(`page ${page} with ${log.filter((l) => l.startsWith('request')).length} requested`);
    })();
    const all = await readAll(listing);
    await first;
    expect(all).toEqual([1, 2, 3]);
    expect(early[0]).toBe('page 1 with 2 requested');
    // A reader that comes after the end gets every item again, with no new request.
    expect(await readAll(listing)).toEqual([1, 2, 3]);
    expect(log.filter((l) => l.startsWith('request'))).toEqual(['request 1', 'request 2', 'request 3']);
  });

  it('gives every reader the items before the failure, then the error', async () => {
    const listing = new SharedListing(
      (async function* () {
        yield 1;
        await new Promise((r) => setTimeout(r, 5));
        throw new Error('page 2 failed');
      })(),
    );
    for (let reader = 0; reader < 2; reader++) {
      const seen: number[] = [];
      await expect(
        (async () => {
          for await (const item of listing.read()) seen.push(item);
        })(),
      ).rejects.toThrow('page 2 failed');
      expect(seen).toEqual([1]);
    }
  });
});

describe('cursorChain', () => {
  /** Raw answers of a three-page chain (`c1`, `c2`, then none), each logged when asked for and when validated. */
  function chain(log: string[], pages: { items: number[]; next?: unknown }[]) {
    return cursorChain(
      async (cursor: string | undefined) => {
        log.push(`request ${cursor ?? 'first'}`);
        await new Promise((r) => setTimeout(r, 2));
        return pages[cursor === undefined ? 0 : Number(String(cursor).slice(1))]!;
      },
      (raw) => (typeof raw.next === 'string' ? raw.next : undefined),
      (raw) => {
        log.push(`validate ${raw.items.join(',')}`);
        if (raw.items.some((i) => i < 0)) throw new Error('invalid page');
        return { page: raw.items, cursor: typeof raw.next === 'string' ? raw.next : undefined };
      },
    );
  }

  it("asks for the next page before validating the one that named its cursor, and yields pages in order", async () => {
    const log: string[] = [];
    const seen: number[][] = [];
    for await (const page of chain(log, [{ items: [1, 2], next: 'c1' }, { items: [3], next: 'c2' }, { items: [4] }])) seen.push(page);
    expect(seen).toEqual([[1, 2], [3], [4]]);
    expect(log).toEqual(['request first', 'request c1', 'validate 1,2', 'request c2', 'validate 3', 'validate 4']);
  });

  it('fails on a page that does not validate, after the request it already sent has settled', async () => {
    const log: string[] = [];
    const seen: number[][] = [];
    const failure = (async () => {
      for await (const page of chain(log, [{ items: [1], next: 'c1' }, { items: [-1], next: 'c2' }, { items: [9] }])) seen.push(page);
    })();
    await expect(failure).rejects.toThrow('invalid page');
    expect(seen).toEqual([[1]]);
    // c2 went out before page 2 was found invalid; its answer is never validated nor yielded.
    expect(log).toEqual(['request first', 'request c1', 'validate 1', 'request c2', 'validate -1']);
  });

  it('fails when the validated page names another cursor than the one followed', async () => {
    const pages = cursorChain(
      async () => ({ next: 'raw' }),
      (raw) => raw.next,
      () => ({ page: 1, cursor: 'other' }),
    );
    await expect(pages.next()).rejects.toThrow(/names cursor other, but raw was followed/);
  });
});

describe('cursorIn', () => {
  it('reads a non-empty string cursor; an empty, missing or non-string one ends the chain', () => {
    expect(cursorIn({ nextPageToken: 'abc' }, 'nextPageToken')).toBe('abc');
    expect(cursorIn({ nextPageToken: '' }, 'nextPageToken')).toBeUndefined();
    expect(cursorIn({ nextPageToken: 7 }, 'nextPageToken')).toBeUndefined();
    expect(cursorIn({}, 'nextPageToken')).toBeUndefined();
    expect(cursorIn(null, 'nextPageToken')).toBeUndefined();
  });
});
