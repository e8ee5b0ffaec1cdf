import PQueue from 'p-queue';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { CollectError } from '../core/errors.js';
import { sanitizeUrl } from './sanitize-url.js';

/** How one API instance is called. Defaults in {@link defaultHttpPolicy}; config `http:` overrides. */
export interface HttpPolicy {
  /** Requests in flight at once against this API instance. */
  concurrency: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Retries after the first attempt for 5xx, network errors and timeouts. */
  maxRetries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /**
   * Longest a request waits on rate limits before giving up with `rate_limited`: one reset farther
   * away than this, or this much waiting in all while the API keeps answering "rate limited".
   */
  maxRateLimitWaitMs: number;
}

export const defaultHttpPolicy: HttpPolicy = {
  concurrency: 4,
  timeoutMs: 30_000,
  maxRetries: 4,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  maxRateLimitWaitMs: 15 * 60_000,
};

export interface HttpFetchOptions {
  policy: HttpPolicy;
  /** The transport (`nodeFetch` in production; tests may pass their own). */
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  /** Aborts every queued and in-flight request (run cancelled). */
  signal?: AbortSignal;
  /** Jitter source, injectable for deterministic tests. */
  random?: () => number;
}

const retryableStatuses = new Set([500, 502, 503, 504]);

/**
 * `RequestInit` with the Fetch standard's `priority` hint (Node's types lack it). `'high'` moves a
 * request ahead of every waiting request of its API instance: a cursor chain's next page, which
 * nothing else can overtake, goes before requests that could equally go later.
 */
export type PrioritizedRequestInit = RequestInit & { priority?: 'high' | 'low' | 'auto' };

/**
 * The shared HTTP layer: a `fetch` with a per-API queue, per-attempt timeouts, retries with
 * exponential backoff and full jitter, and rate-limit awareness (`Retry-After`,
 * `x-ratelimit-remaining`/`x-ratelimit-reset`). When the API says the budget is spent, later
 * requests wait for the reset instead of hammering into 403/429, up to `maxRateLimitWaitMs`.
 *
 * Throttling that outlasts the wait the API asked for (GitHub's secondary rate limits may answer
 * `Retry-After: 1` for a minute) is met as GitHub advises: each further wait doubles, and this
 * instance's concurrency is halved for the rest of the run; the request gives up only when it has
 * waited `maxRateLimitWaitMs` in all.
 *
 * Every method is retried: Annexa only reads, and GraphQL reads are POSTs.
 */
export function createHttpFetch(options: HttpFetchOptions): typeof fetch {
  const { policy, clock, logger } = options;
  const random = options.random ?? Math.random;
  const queue = new PQueue({ concurrency: policy.concurrency });
  /** Epoch ms before which no request is sent (the API asked us to wait). */
  let blockedUntil = 0;

  const backoff = (attempt: number) =>
    Math.round(random() * Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** attempt));

  async function waitForBudget(url: string, signal: AbortSignal | undefined): Promise<void> {
    const wait = blockedUntil - clock.now().getTime();
    if (wait <= 0) return;
    if (wait > policy.maxRateLimitWaitMs) {
      throw new CollectError(
        'rate_limited',
        `rate limit exhausted for ${url}: resets at ${new Date(blockedUntil).toISOString()}, ` +
          `beyond the maximum wait of ${Math.round(policy.maxRateLimitWaitMs / 1000)} s`,
        { endpoint: url },
      );
    }
    logger.info({ url, waitMs: wait }, 'waiting for the API rate limit to reset');
    await clock.sleep(wait, signal);
  }

  /**
   * Moves `blockedUntil` to when the API allows the next request. `repeats` counts this request's
   * earlier rate-limited answers: a throttle that survived the advertised wait doubles the wait.
   * Returns whether this was throttling (Retry-After or no reset) rather than a spent budget.
   */
  function noteRateLimit(response: Response, rateLimited: boolean, attempt: number, repeats = 0): boolean {
    const now = clock.now().getTime();
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'), now);
    const remaining = response.headers.get('x-ratelimit-remaining');
    const reset = Number(response.headers.get('x-ratelimit-reset'));
    let until = 0;
    let throttled = false;
    if (retryAfter !== undefined) {
      until = now + Math.max(retryAfter, rateLimited ? 1000 : 0) * 2 ** repeats;
      throttled = rateLimited;
    } else {
      // A rate-limited response's reset applies even without `x-ratelimit-remaining: 0`.
      if ((remaining === '0' || rateLimited) && Number.isFinite(reset) && reset > 0) until = reset * 1000 + 1000;
      // A reset already in the past (clock skew) must not turn into an immediate retry storm.
      if (rateLimited && until <= now) {
        until = now + (repeats === 0 ? Math.max(backoff(attempt), 1000) : 1000 * 2 ** repeats);
        throttled = true;
      }
    }
    if (until > blockedUntil) blockedUntil = until;
    return throttled;
  }

  function lowerConcurrency(url: string): void {
    const lowered = Math.max(1, Math.floor(queue.concurrency / 2));
    if (lowered === queue.concurrency) return;
    logger.warn({ url, concurrency: lowered }, 'still throttled after the wait the API asked for: lowering concurrency for the rest of the run');
    queue.concurrency = lowered;
  }

  async function attemptLoop(input: string, init: RequestInit | undefined): Promise<Response> {
    const method = (init?.method ?? 'GET').toUpperCase();
    const safeUrl = sanitizeUrl(input);
    const callerSignal = anySignal([init?.signal ?? undefined, options.signal]);
    /** Rate-limited answers to this request so far, and when the first came. */
    let limitedAnswers = 0;
    let limitedSince = 0;
    for (let attempt = 0; ; attempt++) {
      // Queued behind other requests while the caller gave up: do not start (a transport need not check).
      callerSignal?.throwIfAborted();
      await waitForBudget(safeUrl, callerSignal);
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      const signal = anySignal([callerSignal, timeout])!;
      const retriesLeft = attempt - limitedAnswers < policy.maxRetries;
      let response: Response;
      try {
        response = await options.fetch(input, { ...init, signal });
      } catch (error) {
        // A transport error that already knows its outcome (a proxy refusing its credentials) is final.
        if (error instanceof CollectError) throw error;
        await transportFailed(error, timeout, attempt, retriesLeft, 'failed');
        continue;
      }
      const rateLimited = isRateLimited(response);
      const throttled = noteRateLimit(response, rateLimited, attempt, limitedAnswers);
      if (rateLimited) {
        await response.body?.cancel();
        const now = clock.now().getTime();
        if (limitedAnswers === 0) limitedSince = now;
        limitedAnswers += 1;
        if (throttled && limitedAnswers >= 2) lowerConcurrency(safeUrl);
        // A single reset too far away is refused by waitForBudget; this bounds repeated throttling.
        if ((throttled || limitedAnswers > 1) && now - limitedSince + (blockedUntil - now) > policy.maxRateLimitWaitMs) {
          throw new CollectError(
            'rate_limited',
            `${method} ${safeUrl} was still rate limited (HTTP ${response.status}) after ${attempt + 1} attempts and ${Math.round((now - limitedSince) / 1000)} s of waiting`,
            { endpoint: safeUrl },
          );
        }
        logger.warn({ url: safeUrl, status: response.status, attempt: attempt + 1 }, 'rate limited, waiting');
        continue; // waitForBudget sleeps until the reset or Retry-After.
      }
      if (retryableStatuses.has(response.status) && retriesLeft) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'), clock.now().getTime());
        const wait = retryAfter ?? backoff(attempt);
        logger.warn({ url: safeUrl, status: response.status, attempt: attempt + 1, waitMs: wait }, 'server error, retrying');
        await response.body?.cancel();
        await clock.sleep(wait, callerSignal);
        continue;
      }
      // The body is read here, inside the attempt: a connection reset or a body cut short of its
      // Content-Length is a network failure of this request (retried, then `network` naming the
      // endpoint), never an error surfacing later in a parser as if the API had answered.
      let body: Uint8Array[];
      try {
        body = await readChunks(response);
      } catch (error) {
        await transportFailed(error, timeout, attempt, retriesLeft, 'body was cut off');
        continue;
      }
      logger.debug({ method, url: safeUrl, status: response.status }, 'http');
      return withBody(response, body);
    }

    /** A failed attempt: waits to retry, or throws `timeout`/`network` naming the endpoint. */
    async function transportFailed(error: unknown, timeout: AbortSignal, attempt: number, retriesLeft: boolean, what: string): Promise<void> {
      if (callerSignal?.aborted) throw error;
      const timedOut = timeout.aborted;
      const code = timedOut ? 'timeout' : 'network';
      if (!retriesLeft) {
        throw new CollectError(
          code,
          timedOut
            ? `${method} ${safeUrl} timed out after ${policy.timeoutMs} ms (${attempt + 1} attempts)`
            : `${method} ${safeUrl} ${what}: ${networkMessage(error)} (${attempt + 1} attempts)`,
          { cause: error, endpoint: safeUrl },
        );
      }
      const wait = backoff(attempt);
      logger.warn({ url: safeUrl, attempt: attempt + 1, code, waitMs: wait }, 'request failed, retrying');
      await clock.sleep(wait, callerSignal);
    }
  }

  const wrapped = (input: string | URL | Request, init?: PrioritizedRequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return queue.add(() => attemptLoop(url, init), { priority: init?.priority === 'high' ? 1 : 0 });
  };
  return wrapped as typeof fetch;
}

/** A response body as the chunks that arrived (none when it has no body). */
async function readChunks(response: Response): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  if (!response.body) return chunks;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

/**
 * A response with its body already read, keeping status, headers and URL. The body is handed on
 * as the chunks that arrived: a `Response` built from an `ArrayBuffer` copies it, and joining the
 * chunks first copied it once more, so a page sat in memory four times before the caller parsed it
 * (tens of MB of array buffers at once at scale 50); now the caller's `text()` joins them once.
 */
function withBody(response: Response, chunks: Uint8Array[]): Response {
  const nullBody = [101, 204, 205, 304].includes(response.status);
  const body = nullBody
    ? null
    : new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      });
  const copy = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  Object.defineProperty(copy, 'url', { value: response.url });
  return copy;
}

/** 429 always; 403 only when the API says it is a rate limit (GitHub's primary and secondary limits). */
function isRateLimited(response: Response): boolean {
  if (response.status === 429) return true;
  if (response.status !== 403) return false;
  return response.headers.get('x-ratelimit-remaining') === '0' || response.headers.has('retry-after');
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function anySignal(signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

function networkMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) return `${error.message} (${cause.message})`;
    return error.message;
  }
  return String(error);
}
