/**
 * The sandbox as the benchmark runs it: every API 50 ms away and its documented limits enforced
 * (`src/sandbox/api-limits.ts`), with an observer per API that records when the first request
 * arrived and the last answer left, how many were in flight at most, and what the limits refused.
 * Shared by the full collection (`collection.ts`) and the naive baseline (`naive-baseline.ts`).
 */
import { createApiLimiter, documentedLimits, type ApiLimitRule, type SandboxLimiter } from '../src/sandbox/api-limits.js';
import { startSandboxEnvironment, type SandboxApiName, type SandboxEnvironment } from '../src/demo/sandbox-environment.js';

/** Per-request latency every API adds (the 50 ms). */
export const LATENCY_MS = 50;

/** What one API saw during a measurement. */
export interface ApiObservation {
  /** Requests that reached the API, refused ones included. */
  requests: number;
  refused: Record<string, number>;
  /** ms (performance.now) of the first arrival and the last answer; undefined when none came. */
  firstAt?: number;
  lastAt?: number;
  /** Most requests in flight at once. */
  peakInFlight: number;
  /** Σ of admitted requests' time at the server (latency + handling + sending), ms. */
  busyMs: number;
  /**
   * ms between the first arrival and the last answer with no request in flight: time the API
   * waited for the client (pacing, processing, a cursor chain's round trip back). Span − idle is
   * the time the API was working for the collection.
   */
  idleMs: number;
  /** The longest such wait, ms, and when it began (ms after the first arrival). */
  longestIdle: { ms: number; at: number };
}

/** A limiter that also records an {@link ApiObservation}; `reset()` starts a new measurement. */
export interface ObservedLimiter extends SandboxLimiter {
  observation(): ApiObservation;
  reset(): void;
}

function observe(rules: readonly ApiLimitRule[]): ObservedLimiter {
  let inner = createApiLimiter(rules);
  const fresh = (): ApiObservation => ({ requests: 0, refused: {}, peakInFlight: 0, busyMs: 0, idleMs: 0, longestIdle: { ms: 0, at: 0 } });
  let o = fresh();
  let inFlight = 0;
  /** When the last request in flight was answered (idle since then), undefined while busy or before the first. */
  let idleSince: number | undefined;
  const arrive = (at: number) => {
    if (idleSince !== undefined && inFlight === 0) {
      const gap = at - idleSince;
      o.idleMs += gap;
      if (gap > o.longestIdle.ms) o.longestIdle = { ms: gap, at: idleSince - (o.firstAt ?? idleSince) };
      idleSince = undefined;
    }
  };
  return {
    admit(request, api) {
      const at = performance.now();
      o.requests += 1;
      o.firstAt ??= at;
      const answer = inner.admit(request, api);
      if ('response' in answer) {
        arrive(at);
        if (inFlight === 0) idleSince = at;
        o.lastAt = Math.max(o.lastAt ?? 0, at);
        return answer;
      }
      arrive(at);
      inFlight += 1;
      o.peakInFlight = Math.max(o.peakInFlight, inFlight);
      return {
        release: () => {
          answer.release();
          inFlight -= 1;
          const done = performance.now();
          if (inFlight === 0) idleSince = done;
          o.busyMs += done - at;
          o.lastAt = Math.max(o.lastAt ?? 0, done);
        },
      };
    },
    refused: () => inner.refused(),
    observation: () => ({ ...o, refused: inner.refused() }),
    reset: () => {
      inner = createApiLimiter(rules);
      o = fresh();
      inFlight = 0;
      idleSince = undefined;
    },
  };
}

/** The limits each sandbox API enforces (Jira: none modelled; its limits are cost-based and unpublished). */
const limitsOf: Record<SandboxApiName, readonly ApiLimitRule[]> = {
  github: documentedLimits.github,
  aws: documentedLimits.aws,
  entra: documentedLimits['microsoft-graph'],
  google: documentedLimits['google-workspace'],
  jira: [],
  knowbe4: documentedLimits.knowbe4,
};

export const apiNames: readonly SandboxApiName[] = ['github', 'aws', 'entra', 'google', 'jira', 'knowbe4'];

/** A started sandbox with limits and observers. */
export interface LimitedSandbox {
  env: SandboxEnvironment;
  observers: Record<SandboxApiName, ObservedLimiter>;
}

/** Starts every sample API at `scale` with {@link LATENCY_MS} and the documented limits. */
export async function startLimitedSandbox(scale: number, now: Date): Promise<LimitedSandbox> {
  const observers = Object.fromEntries(apiNames.map((n) => [n, observe(limitsOf[n])])) as Record<SandboxApiName, ObservedLimiter>;
  const faults = Object.fromEntries(apiNames.map((n) => [n, { latencyMs: LATENCY_MS, limiter: observers[n] }]));
  const env = await startSandboxEnvironment({ scale, now, faults });
  return { env, observers };
}
