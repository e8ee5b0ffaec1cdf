import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import nock from 'nock';
import { createHttpFetch, defaultHttpPolicy, parseRetryAfter, type HttpPolicy } from '../../src/http/http-fetch.js';
import type { Clock } from '../../src/core/clock.js';
import { CollectError } from '../../src/core/errors.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { Redactor } from '../../src/core/redact.js';

const API = 'https://api.example.test';
/** A whole second, so epoch-second rate-limit headers are exact. */
const START = Date.UTC(2025, 0, 15, 12, 0, 0);
const startSec = START / 1000;

/**
 * A virtual clock: `sleep` records the requested wait (also into the shared event log) and moves
 * "now" forward instantly, so nothing sleeps for real.
 */
function fakeClock(events: string[] = []) {
  let now = START;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => new Date(now),
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      events.push(`sleep ${ms}`);
      now += ms;
    },
  };
  return { clock, sleeps, events, nowMs: () => now };
}

const testPolicy: HttpPolicy = {
  concurrency: 4,
  timeoutMs: 5_000,
  maxRetries: 3,
  backoffBaseMs: 100,
  backoffMaxMs: 10_000,
  maxRateLimitWaitMs: 5 * 60_000,
};

function setup(overrides: Partial<HttpPolicy> = {}, extra: { random?: () => number; signal?: AbortSignal } = {}) {
  const fake = fakeClock();
  const fetch = createHttpFetch({
    policy: { ...testPolicy, ...overrides },
    fetch: globalThis.fetch,
    clock: fake.clock,
    logger: silentLogger(),
    random: extra.random ?? (() => 1),
    ...(extra.signal ? { signal: extra.signal } : {}),
  });
  return { fetch, ...fake };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail');
}

async function collectError(promise: Promise<unknown>): Promise<CollectError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(CollectError);
  return error as CollectError;
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
});

describe('createHttpFetch: success and server errors', () => {
  it('passes a 200 through with its body and headers, without waiting', async () => {
    const scope = nock(API).get('/orgs/acme').reply(200, { login: 'acme' }, { 'x-github-request-id': 'R1' });
    const { fetch, sleeps } = setup();
    const res = await fetch(`${API}/orgs/acme`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-github-request-id')).toBe('R1');
    expect(await res.json()).toEqual({ login: 'acme' });
    expect(sleeps).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it('retries a 5xx once and returns the 200, after a backoff wait', async () => {
    const scope = nock(API).get('/x').reply(502, 'bad gateway').get('/x').reply(200, 'ok');
    const { fetch, sleeps } = setup();
    const res = await fetch(`${API}/x`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    // random() = 1: the full exponential step for attempt 0 is backoffBaseMs.
    expect(sleeps).toEqual([100]);
    expect(scope.isDone()).toBe(true);
  });

  it('backs off exponentially with jitter, capped at backoffMaxMs', async () => {
    const scope = nock(API).get('/x').times(4).reply(500).get('/x').reply(200, 'ok');
    const { fetch, sleeps } = setup({ maxRetries: 4, backoffBaseMs: 100, backoffMaxMs: 500 }, { random: () => 0.5 });
    const res = await fetch(`${API}/x`);
    expect(res.status).toBe(200);
    // 0.5 × min(500, 100·2^n) for n = 0..3
    expect(sleeps).toEqual([50, 100, 200, 250]);
    expect(scope.isDone()).toBe(true);
  });

  it('returns the last 5xx once retries are exhausted', async () => {
    const scope = nock(API).get('/x').times(3).reply(503, 'down');
    const { fetch, sleeps } = setup({ maxRetries: 2 });
    const res = await fetch(`${API}/x`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('down');
    expect(sleeps).toEqual([100, 200]);
    expect(scope.isDone()).toBe(true);
  });

  it('honours Retry-After on a 503 (7 s)', async () => {
    const scope = nock(API).get('/x').reply(503, '', { 'Retry-After': '7' }).get('/x').reply(200, 'ok');
    const { fetch, sleeps } = setup();
    const res = await fetch(`${API}/x`);
    expect(res.status).toBe(200);
    expect(sleeps).toEqual([7000]);
    expect(scope.isDone()).toBe(true);
  });

  it('does not retry a 4xx such as 404', async () => {
    const scope = nock(API).get('/missing').reply(404, { message: 'Not Found' });
    const { fetch, sleeps } = setup();
    const res = await fetch(`${API}/missing`);
    expect(res.status).toBe(404);
    expect(sleeps).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it('retries POST (GraphQL reads) with the same body', async () => {
    const bodies: string[] = [];
    const scope = nock(API)
      .post('/graphql')
      .times(2)
      .reply(async (request) => {
        bodies.push(await request.text());
        return bodies.length === 1 ? [500, 'err'] : [200, { data: {} }];
      });
    const { fetch } = setup();
    const res = await fetch(`${API}/graphql`, { method: 'POST', body: JSON.stringify({ query: '{ viewer { login } }' }) });
    expect(res.status).toBe(200);
    expect(bodies).toEqual([JSON.stringify({ query: '{ viewer { login } }' }), JSON.stringify({ query: '{ viewer { login } }' })]);
    expect(scope.isDone()).toBe(true);
  });
});

describe('createHttpFetch: rate limits', () => {
  it('429 with x-ratelimit-reset waits until the reset (+1 s), then succeeds', async () => {
    const scope = nock(API)
      .get('/x')
      .reply(429, 'slow down', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(startSec + 30) })
      .get('/x')
      .reply(200, 'ok');
    const { fetch, sleeps } = setup();
    const res = await fetch(`${API}/x`);
    expect(res.status).toBe(200);
    expect(sleeps).toEqual([31_000]);
    expect(scope.isDone()).toBe(true);
  });

  it('429 with only x-ratelimit-reset (no remaining header) still waits for the reset', async () => {
    const scope = nock(API)
      .get('/x')
      .reply(429, 'slow down', { 'x-ratelimit-reset': String(startSec + 20) })
      .get('/x')
      .reply(200, 'ok');
    const { fetch, sleeps } = setup();
    expect((await fetch(`${API}/x`)).status).toBe(200);
    expect(sleeps).toEqual([21_000]);
    expect(scope.isDone()).toBe(true);
  });

  it('429 with a reset already in the past (clock skew) still waits at least 1 s', async () => {
    const scope = nock(API)
      .get('/x')
      .reply(429, '', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(startSec - 10) })
      .get('/x')
      .reply(200, 'ok');
    const { fetch, sleeps } = setup();
    expect((await fetch(`${API}/x`)).status).toBe(200);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(1000);
    expect(scope.isDone()).toBe(true);
  });

  it('429 with Retry-After waits that long', async () => {
    const scope = nock(API).get('/x').reply(429, '', { 'retry-after': '3' }).get('/x').reply(200, 'ok');
    const { fetch, sleeps } = setup();
    expect((await fetch(`${API}/x`)).status).toBe(200);
    expect(sleeps).toEqual([3000]);
    expect(scope.isDone()).toBe(true);
  });

  it('after a response says the budget is spent, the next request waits for the reset BEFORE it is sent', async () => {
    const events: string[] = [];
    const fake = fakeClock(events);
    const fetch = createHttpFetch({ policy: testPolicy, fetch: globalThis.fetch, clock: fake.clock, logger: silentLogger(), random: () => 1 });
    const scope = nock(API)
      .get('/first')
      .reply(() => {
        events.push('sent /first');
        return [200, 'ok', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(startSec + 60) }];
      })
      .get('/second')
      .reply(() => {
        events.push('sent /second');
        return [200, 'ok', { 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(startSec + 3600) }];
      });
    expect((await fetch(`${API}/first`)).status).toBe(200);
    expect(events).toEqual(['sent /first']);
    expect((await fetch(`${API}/second`)).status).toBe(200);
    expect(events).toEqual(['sent /first', 'sleep 61000', 'sent /second']);
    expect(scope.isDone()).toBe(true);
  });

  it('a response with budget left does not delay the next request', async () => {
    const scope = nock(API)
      .get('/a')
      .reply(200, 'ok', { 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': String(startSec + 60) })
      .get('/b')
      .reply(200, 'ok');
    const { fetch, sleeps } = setup();
    await fetch(`${API}/a`);
    await fetch(`${API}/b`);
    expect(sleeps).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it('403 with x-ratelimit-remaining: 0 is a rate limit: waits for the reset and retries', async () => {
    const scope = nock(API)
      .get('/x')
      .reply(403, { message: 'API rate limit exceeded' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(startSec + 5) })
      .get('/x')
      .reply(200, 'ok');
    const { fetch, sleeps } = setup();
    const res = await fetch(`${API}/x`);
    expect(res.status).toBe(200);
    expect(sleeps).toEqual([6000]);
    expect(scope.isDone()).toBe(true);
  });

  it('403 with Retry-After (secondary rate limit) is a rate limit', async () => {
    const scope = nock(API).get('/x').reply(403, 'secondary', { 'retry-after': '60' }).get('/x').reply(200, 'ok');
    const { fetch, sleeps } = setup();
    expect((await fetch(`${API}/x`)).status).toBe(200);
    expect(sleeps).toEqual([60_000]);
    expect(scope.isDone()).toBe(true);
  });

  it('a plain 403 (no rate-limit headers) is returned as is, not retried', async () => {
    const scope = nock(API)
      .get('/x')
      .reply(403, { message: 'Resource not accessible by integration' }, { 'x-ratelimit-remaining': '4000' });
    const { fetch, sleeps } = setup();
    const res = await fetch(`${API}/x`);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: 'Resource not accessible by integration' });
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([]);
  });

  it('a reset farther away than maxRateLimitWaitMs rejects with rate_limited without sleeping', async () => {
    const scope = nock(API)
      .get('/x')
      .reply(429, '', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(startSec + 3600) });
    const { fetch, sleeps } = setup({ maxRateLimitWaitMs: 60_000 });
    const error = await collectError(fetch(`${API}/x`));
    expect(error.code).toBe('rate_limited');
    expect(error.message).toContain('2025-01-15T13:00:01.000Z');
    expect(error.endpoint).toBe(`${API}/x`);
    expect(sleeps).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it('a later request is refused (rate_limited) while the budget is spent beyond maxRateLimitWaitMs, without being sent', async () => {
    const scope = nock(API)
      .get('/a')
      .reply(200, 'ok', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(startSec + 3600) });
    const { fetch, sleeps } = setup({ maxRateLimitWaitMs: 60_000 });
    expect((await fetch(`${API}/a`)).status).toBe(200);
    const b = nock(API).get('/b').reply(200, 'ok');
    const error = await collectError(fetch(`${API}/b`));
    expect(error.code).toBe('rate_limited');
    expect(b.isDone()).toBe(false);
    expect(sleeps).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it('a 429 that outlasts its Retry-After: waits double each time, and gives up after maxRateLimitWaitMs of waiting', async () => {
    const scope = nock(API).get('/x').times(8).reply(429, 'nope', { 'retry-after': '2' });
    const { fetch, sleeps } = setup({ maxRetries: 2 });
    const error = await collectError(fetch(`${API}/x`));
    expect(error.code).toBe('rate_limited');
    expect(error.message).toContain('HTTP 429');
    expect(error.message).toContain('8 attempts and 254 s of waiting');
    // 2 + 4 + … + 128 = 254 s waited; the next wait (256 s) would pass the 5-minute limit. Not bounded by maxRetries.
    expect(sleeps).toEqual([2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000]);
    expect(scope.isDone()).toBe(true);
  });

  it('secondary rate limits (403 + Retry-After: 1) for 60 s: exponential waits, concurrency halved, every request completes', async () => {
    const fake = fakeClock();
    const windowEnds = START + 60_000;
    nock(API)
      .get(/\/item\/\d+/)
      .times(200)
      .reply(() =>
        fake.nowMs() < windowEnds
          ? [403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '1', 'x-ratelimit-remaining': '4000' }]
          : [200, 'ok'],
      );
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', redactor: new Redactor(), destination: { write: (line: string) => lines.push(line) } });
    const fetch = createHttpFetch({ policy: { ...testPolicy, concurrency: 4 }, fetch: globalThis.fetch, clock: fake.clock, logger, random: () => 1 });
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => fetch(`${API}/item/${i}`)));
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    // Each throttled request's waits double (1, 2, 4, 8 s, …) instead of five 1-second waits and a failure.
    expect([...new Set(fake.sleeps)].slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(fake.nowMs() - START).toBeGreaterThanOrEqual(60_000);
    const lowered = lines.filter((l) => l.includes('lowering concurrency')).map((l) => (JSON.parse(l) as { concurrency: number }).concurrency);
    expect(lowered).toEqual([2, 1]);
    // More answers were offered than used.
    nock.cleanAll();
  });

  it('a 429 without any rate-limit headers waits at least 1 s, doubling, until maxRateLimitWaitMs', async () => {
    nock(API).get('/x').times(20).reply(429);
    const { fetch, sleeps } = setup({ maxRetries: 2, maxRateLimitWaitMs: 60_000 });
    const error = await collectError(fetch(`${API}/x`));
    expect(error.code).toBe('rate_limited');
    // max(backoff, 1 s) × 2^n: 1, 2, 4, 8, 16 s (31 s); the next 32 s would pass 60 s.
    expect(sleeps).toEqual([1000, 2000, 4000, 8000, 16_000]);
    // More answers were offered than used.
    nock.cleanAll();
  });
});

describe('createHttpFetch: network errors and timeouts', () => {
  it('retries a network error, then rejects with code network after maxRetries', async () => {
    const scope = nock(API).get('/x').query(true).times(3).replyWithError('socket hang up');
    const { fetch, sleeps } = setup({ maxRetries: 2 });
    const error = await collectError(fetch(`${API}/x?access_token=hunter2hunter2`));
    expect(error.code).toBe('network');
    expect(error.message).toContain('socket hang up');
    expect(error.message).toContain('3 attempts');
    // The URL in the message and endpoint is sanitised.
    expect(error.message).not.toContain('hunter2hunter2');
    expect(error.endpoint).toBe(`${API}/x?access_token=REDACTED`);
    expect(sleeps).toEqual([100, 200]);
    expect(scope.isDone()).toBe(true);
  });

  it('a body cut off mid-read is a network failure of the attempt: retried, then network naming the endpoint', async () => {
    let calls = 0;
    const cutBody: typeof fetch = async () => {
      calls += 1;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"items":[1,2'));
          controller.error(new TypeError('terminated'));
        },
      });
      return new Response(stream, { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const fake = fakeClock();
    const fetch = createHttpFetch({ policy: { ...testPolicy, maxRetries: 1 }, fetch: cutBody, clock: fake.clock, logger: silentLogger(), random: () => 1 });
    const error = await collectError(fetch(`${API}/items?page=2`));
    expect([error.code, error.endpoint, calls]).toEqual(['network', `${API}/items?page=2`, 2]);
    expect(error.message).toBe(`GET ${API}/items?page=2 body was cut off: terminated (2 attempts)`);
    // A whole body on the retry is returned, readable as usual.
    let second = 0;
    const recovered = createHttpFetch({
      policy: testPolicy,
      fetch: async (input, init) => (++second === 1 ? cutBody(input, init) : new Response('{"items":[1,2,3]}', { status: 200 })),
      clock: fake.clock,
      logger: silentLogger(),
    });
    expect(await (await recovered(`${API}/items`)).json()).toEqual({ items: [1, 2, 3] });
  });

  it('recovers when a network error is followed by success', async () => {
    const scope = nock(API).get('/x').replyWithError('ECONNRESET').get('/x').reply(200, 'ok');
    const { fetch, sleeps } = setup();
    expect((await fetch(`${API}/x`)).status).toBe(200);
    expect(sleeps).toEqual([100]);
    expect(scope.isDone()).toBe(true);
  });

  it('times out each attempt and rejects with code timeout', async () => {
    // The server answers only after 300 ms (nock 15's .delay() holds back the body, not the headers).
    const scope = nock(API)
      .get('/slow')
      .times(2)
      .reply(async () => {
        await sleepReal(300);
        return [200, 'late'];
      });
    const { fetch, sleeps } = setup({ timeoutMs: 50, maxRetries: 1 });
    const started = Date.now();
    const error = await collectError(fetch(`${API}/slow`));
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('timed out after 50 ms');
    expect(error.message).toContain('2 attempts');
    expect(sleeps).toEqual([100]);
    // Two 50 ms attempts, not two 300 ms replies.
    expect(Date.now() - started).toBeLessThan(550);
    expect(scope.isDone()).toBe(true);
  });
});

describe('createHttpFetch: queue and cancellation', () => {
  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let served = 0;
    nock(API)
      .get(/\/item\/\d/)
      .times(5)
      .reply(async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleepReal(25);
        inFlight--;
        served++;
        return [200, 'ok'];
      });
    const { fetch } = setup({ concurrency: 2 });
    const responses = await Promise.all([0, 1, 2, 3, 4].map((i) => fetch(`${API}/item/${i}`)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(served).toBe(5);
    expect(maxInFlight).toBe(2);
  });

  it("a request with the Fetch standard's `priority: 'high'` goes before every waiting request; the rest keep their order", async () => {
    const sent: string[] = [];
    nock(API)
      .get(/\/(item|chain)\/\d/)
      .times(5)
      .delay(10)
      .reply((uri: unknown) => {
        // nock hands over the path, or the fetch Request itself when the request came through fetch.
        sent.push(typeof uri === 'string' ? uri : new URL((uri as Request).url).pathname);
        return [200, 'ok'];
      });
    const { fetch } = setup({ concurrency: 1 });
    const first = fetch(`${API}/item/0`); // in flight: the others wait in the queue
    const waiting = [1, 2, 3].map((i) => fetch(`${API}/item/${i}`));
    const chain = fetch(`${API}/chain/1`, { priority: 'high' } as RequestInit);
    await Promise.all([first, ...waiting, chain]);
    expect(sent).toEqual(['/item/0', '/chain/1', '/item/1', '/item/2', '/item/3']);
  });

  it('the run signal aborts the in-flight request and stops queued ones before they are sent', async () => {
    const sent: string[] = [];
    nock(API)
      .get(/\/q\/\d/)
      .times(3)
      .reply(async (request) => {
        sent.push(new URL(request.url).pathname);
        await sleepReal(200);
        return [200, 'ok'];
      });
    const controller = new AbortController();
    const { fetch } = setup({ concurrency: 1 }, { signal: controller.signal });
    const results = [0, 1, 2].map((i) => rejection(fetch(`${API}/q/${i}`)));
    await waitUntil(() => sent.length === 1);
    const abortedAt = Date.now();
    controller.abort();
    const errors = await Promise.all(results);
    for (const error of errors) {
      expect(error).not.toBeInstanceOf(CollectError);
      expect((error as Error).name).toBe('AbortError');
    }
    expect(sent).toEqual(['/q/0']);
    // The in-flight request did not run to its 200 ms reply.
    expect(Date.now() - abortedAt).toBeLessThan(150);
  });

  it('a request signal aborts only that request', async () => {
    const never = nock(API).get('/never').reply(200, 'ok');
    const scope = nock(API).get('/other').reply(200, 'ok');
    const { fetch } = setup({ concurrency: 1 });
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(fetch(`${API}/never`, { signal: controller.signal }));
    expect((error as Error).name).toBe('AbortError');
    expect(never.isDone()).toBe(false);
    expect((await fetch(`${API}/other`)).status).toBe(200);
    expect(scope.isDone()).toBe(true);
  });

  it('an abort during a backoff wait stops the retries', async () => {
    const controller = new AbortController();
    const scope = nock(API).get('/x').reply(500).get('/x').reply(200, 'ok');
    const fetch = createHttpFetch({
      policy: testPolicy,
      fetch: globalThis.fetch,
      clock: {
        now: () => new Date(START),
        sleep: async (_ms, signal) => {
          controller.abort();
          signal?.throwIfAborted();
        },
      },
      logger: silentLogger(),
      signal: controller.signal,
    });
    const error = await rejection(fetch(`${API}/x`));
    expect((error as Error).name).toBe('AbortError');
    expect(scope.pendingMocks()).toHaveLength(1);
  });
});

describe('createHttpFetch: inputs', () => {
  it('accepts a URL object', async () => {
    const scope = nock(API).get('/u').reply(200, 'ok');
    const { fetch } = setup();
    expect((await fetch(new URL(`${API}/u`))).status).toBe(200);
    expect(scope.isDone()).toBe(true);
  });

  it('sends the caller headers', async () => {
    const scope = nock(API).get('/h').matchHeader('authorization', 'Bearer t0ken').reply(200, 'ok');
    const { fetch } = setup();
    expect((await fetch(`${API}/h`, { headers: { authorization: 'Bearer t0ken' } })).status).toBe(200);
    expect(scope.isDone()).toBe(true);
  });

  it('defaults are sane', () => {
    expect(defaultHttpPolicy.maxRetries).toBeGreaterThan(0);
    expect(defaultHttpPolicy.timeoutMs).toBeGreaterThan(0);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', START)).toBe(7000);
    expect(parseRetryAfter(null, START)).toBeUndefined();
    expect(parseRetryAfter('soon', START)).toBeUndefined();
    expect(parseRetryAfter(new Date(START + 12_000).toUTCString(), START)).toBe(12_000);
    expect(parseRetryAfter(new Date(START - 12_000).toUTCString(), START)).toBe(0);
  });
});

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls (real time, briefly) until the condition holds. */
async function waitUntil(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
