/**
 * The one HTTP front door every sandbox API sits behind (node:http only).
 *
 * An API module supplies a handler that routes a parsed request and returns status, headers and
 * an already-encoded body (JSON, XML, CSV: encoded by a library in the API module). This file owns
 * what every fake needs the same way: binding to loopback, reading bodies, counting requests per
 * route for the request-economy tests and benchmarks, and fault knobs (latency, injected 5xx and
 * throttling, connection resets, truncated and malformed bodies, a concurrency limit) so
 * connectors can be exercised against each API's own error format. The transport faults (reset,
 * truncated, malformed) need no API code: they damage whatever the handler answered.
 */
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SandboxLimiter } from './api-limits.js';

/** A request as an API module sees it. */
export interface SandboxRequest {
  method: string;
  /** Absolute URL as the client reached it (`http://127.0.0.1:4000/path?x=1`). */
  url: URL;
  headers: IncomingMessage['headers'];
  /** Raw body (empty for GET). */
  body: Buffer;
  /** 1-based sequence number of this request on this server, for request ids. */
  seq: number;
}

/** What a handler answers. `body` is sent as is: strings as UTF-8. */
export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Injected faults, decided when a request arrives (the API module renders them in its own format). */
export interface SandboxFaults {
  /**
   * Least time per (matched) request, in ms, counted from its arrival while the answer is worked
   * out: past the client's timeout, a slow endpoint. An answer that takes longer to work out goes
   * when it is ready.
   */
  latencyMs?: number;
  /** Share of requests (0–1) answered by {@link SandboxApi.serverError}. */
  errorRate?: number;
  /** Share of requests (0–1) answered by {@link SandboxApi.throttled}. */
  throttleRate?: number;
  /** Seconds the throttled answer asks the client to wait. */
  retryAfterSeconds?: number;
  /** Deterministic fault sequence: a function of the request sequence number in [0, 1). */
  random?: (seq: number) => number;
  /**
   * A throttling window: from the `fromRequest`-th request on, every request for `durationMs`
   * (measured with `now`, which tests inject to compress time) gets the throttled answer, whatever
   * `Retry-After` it names — as an API whose real window is longer than the wait it advertises.
   */
  throttleWindow?: { fromRequest: number; durationMs: number; now?: () => number };
  /** Share of requests whose connection is reset (TCP RST) after the headers and half the body. */
  resetRate?: number;
  /**
   * Share of requests whose body is cut after half its bytes and the connection closed, while
   * `Content-Length` announces the whole body.
   */
  truncateRate?: number;
  /**
   * Share of requests answered with the handler's status and a body cut in half with a matching
   * `Content-Length`: well framed on the wire, but not valid JSON or XML.
   */
  malformedRate?: number;
  /** More requests than this in flight at once get the API's throttled answer (its own 429/503 form). */
  maxInFlight?: number;
  /**
   * Every (matched) request is refused as the API refuses bad credentials (401) or a missing
   * permission (403), in its own format ({@link SandboxApi.refused}).
   */
  refuse?: 401 | 403;
  /** Only requests this matches get faults (one endpoint, say); default every request. */
  match?: (request: SandboxRequest) => boolean;
  /** The API's documented limits (`api-limits.ts`), checked when a request arrives, before the latency. */
  limiter?: SandboxLimiter;
}

/** The rolled faults, in the order their rates stack up in [0, 1) (`errorRate` first). */
const rolledFaults = [
  ['error', 'errorRate'],
  ['throttle', 'throttleRate'],
  ['reset', 'resetRate'],
  ['truncate', 'truncateRate'],
  ['malformed', 'malformedRate'],
] as const;
type RolledFault = (typeof rolledFaults)[number][0];

/** Injected faults per kind so far; tests assert the faults really happened. */
export type FaultCounts = Record<RolledFault | 'overload' | 'window' | 'refused', number>;

/** One fake API: a router over its world plus its own error encodings. */
export interface SandboxApi {
  /** Name for logs and per-API request counts (`github`, `aws-iam`). */
  name: string;
  handle(request: SandboxRequest): SandboxResponse | Promise<SandboxResponse>;
  /** The API's own 5xx answer (used for injected errors and handler crashes). */
  serverError(request: SandboxRequest, message: string): SandboxResponse;
  /** The API's own throttling answer (429 or its equivalent) with the given wait. */
  throttled?(request: SandboxRequest, retryAfterSeconds: number): SandboxResponse;
  /** The API's own answer to bad credentials (401) or a missing permission (403), for the `refuse` knob. */
  refused?(request: SandboxRequest, status: 401 | 403): SandboxResponse;
}

/** A running sandbox API. */
export interface SandboxServer {
  /** `http://127.0.0.1:PORT` (`https://` when served with TLS) */
  url: string;
  /** Requests received so far, including rejected ones. */
  requestCount(): number;
  /** Requests per `METHOD route` (route = path with digits collapsed), for request-economy reports. */
  requestsByRoute(): Record<string, number>;
  /** Replaces the fault knobs (an empty object clears them). */
  setFaults(faults: SandboxFaults): void;
  /** Faults injected so far, per kind. */
  faultCounts(): FaultCounts;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 5_000_000;

/** Starts `api` on 127.0.0.1 (or `options.host`) on a free port. */
export async function startSandboxServer(
  api: SandboxApi,
  /** `tls`: serve HTTPS with this key and certificate (see `src/sandbox/tls.ts`). */
  options: { host?: string; port?: number; faults?: SandboxFaults; tls?: { key: string; cert: string } } = {},
): Promise<SandboxServer> {
  const host = options.host ?? '127.0.0.1';
  let faults: SandboxFaults = options.faults ?? {};
  let requests = 0;
  const byRoute = new Map<string, number>();
  /** When the throttling window opened (by the window's clock), once it has. */
  let windowOpenedAt: number | undefined;
  let inFlight = 0;
  const counts: FaultCounts = { error: 0, throttle: 0, reset: 0, truncate: 0, malformed: 0, overload: 0, window: 0, refused: 0 };
  /** Which rolled fault, if any, a roll in [0, 1) falls on. */
  const rolled = (roll: number): RolledFault | undefined => {
    let upTo = 0;
    for (const [fault, rate] of rolledFaults) {
      upTo += faults[rate] ?? 0;
      if (roll < upTo) return fault;
    }
    return undefined;
  };
  const inThrottleWindow = (seq: number): boolean => {
    const window = faults.throttleWindow;
    if (!window || seq < window.fromRequest) return false;
    const now = (window.now ?? Date.now)();
    windowOpenedAt ??= now;
    return now - windowOpenedAt < window.durationMs;
  };

  const scheme = options.tls ? 'https' : 'http';
  const listener: RequestListener = (req, res) => {
    requests += 1;
    const seq = requests;
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', `${scheme}://${req.headers.host ?? `${host}:${port()}`}`);
      const method = req.method ?? 'GET';
      const route = `${method} ${url.pathname.replace(/\/\d+(?=\/|$)/g, '/{n}')}`;
      byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
      const request: SandboxRequest = { method, url, headers: req.headers, body, seq };
      inFlight += 1;
      try {
        const faulted = faults.match?.(request) ?? true;
        const admission = faults.limiter?.admit(request, api);
        if (admission && 'release' in admission) res.once('close', admission.release);
        // The latency runs from arrival while the answer is worked out, as a real API's network time
        // overlaps its servers' work: this single-threaded fake would otherwise add its handling of
        // every request already waiting to the latency of each, a queue an API served in parallel has not.
        const latency = faulted && faults.latencyMs ? new Promise((r) => setTimeout(r, faults.latencyMs)) : undefined;
        const refused = faulted && faults.refuse !== undefined && api.refused ? faults.refuse : undefined;
        let fault = faulted && !refused ? rolled((faults.random ?? Math.random)(seq)) : undefined;
        if (fault === 'throttle' && !api.throttled) fault = undefined;
        const overloaded = faulted && !refused && !!api.throttled && faults.maxInFlight !== undefined && inFlight > faults.maxInFlight;
        const windowed = faulted && !refused && !!api.throttled && inThrottleWindow(seq);
        let response: SandboxResponse;
        if (admission && 'response' in admission) {
          response = admission.response;
        } else if (refused) {
          counts.refused += 1;
          response = api.refused!(request, refused);
        } else if (fault === 'error') {
          response = api.serverError(request, 'injected fault');
        } else if (api.throttled && (fault === 'throttle' || overloaded || windowed)) {
          response = api.throttled(request, faults.retryAfterSeconds ?? 1);
        } else {
          try {
            response = await api.handle(request);
          } catch (error) {
            response = api.serverError(request, error instanceof Error ? error.message : String(error));
          }
        }
        await latency;
        const kind = fault ?? (overloaded ? 'overload' : windowed ? 'window' : undefined);
        if (kind) counts[kind] += 1;
        const payload = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : (response.body ?? Buffer.alloc(0));
        const half = payload.subarray(0, Math.floor(payload.length / 2));
        if (fault === 'malformed') {
          res.writeHead(response.status, { ...response.headers, 'content-length': String(half.length) });
          res.end(half);
          return;
        }
        res.writeHead(response.status, { 'content-length': String(payload.length), ...response.headers });
        if (fault === 'reset' || fault === 'truncate') {
          // Written, then the socket goes: the client has the headers and half the body it was promised.
          // TLS has no RST of its own: its socket is destroyed without close_notify, which the client sees as a reset.
          const reset = () => ('encrypted' in req.socket ? req.socket.destroy() : req.socket.resetAndDestroy());
          res.write(half, () => (fault === 'reset' ? reset() : req.socket.end()));
          return;
        }
        res.end(payload);
      } finally {
        inFlight -= 1;
      }
    })().catch(() => res.destroy());
  };
  const server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createServer(listener);

  function port(): number {
    return (server.address() as AddressInfo | null)?.port ?? 0;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const displayHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${scheme}://${displayHost}:${port()}`,
    requestCount: () => requests,
    requestsByRoute: () => Object.fromEntries([...byRoute].sort(([a], [b]) => a.localeCompare(b))),
    setFaults: (next) => {
      faults = next;
      windowOpenedAt = undefined;
    },
    faultCounts: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Reads the whole body; requests must be drained even when rejected, or keep-alive breaks. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** JSON answer with the given status and extra headers. */
export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): SandboxResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}
