import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { CollectError } from '../core/errors.js';
import { proxyFor, type ProxySettings } from './proxy.js';
import { redactUrl, sanitizeUrl } from './sanitize-url.js';

/** Options of {@link nodeFetch}. */
export interface NodeFetchOptions {
  /** Certificates to trust for `https:` instead of the defaults (the sandbox's own). */
  ca?: string;
  /** Connections kept open per host (default 64; the shared HTTP layer's queues bound what is used). */
  maxSockets?: number;
  /** Outbound proxies (`proxySettingsFromEnv`); loopback and `no_proxy` hosts go direct. */
  proxy?: ProxySettings;
}

const maxRedirects = 5;

/**
 * A `fetch` over node:http and node:https: the transport under the shared HTTP layer in `annexa`.
 *
 * Why not the global `fetch`: Node's `fetch` (undici) parses HTTP with llhttp compiled to
 * WebAssembly, which V8 compiles at run time. In a loop of 2,300 requests for a 30 KB JSON page on
 * this project's machine it left the process at 117 MB of RSS (a 53 MB heap, 32 MB of compiler
 * memory at its peak) against 57 MB over node:http, which parses with llhttp compiled natively. In
 * a scale-out worker the switch took a unit's CPU from 69–89 ms to 62–73 ms (bench/HISTORY.md).
 *
 * What it does like `fetch`: any body `Request` accepts, `Headers` in and out, `signal`, redirects
 * followed (up to 5, unless `redirect: 'manual'`), gzip/deflate/br bodies decoded, `response.url`
 * set, a body cut off mid-way errors the body stream. Connections are kept alive per factory call.
 *
 * Through a proxy (`options.proxy`): `https:` targets through a CONNECT tunnel (the proxy sees only
 * the host name; TLS is with the API), `http:` targets in absolute form. A proxy that refuses
 * (407, 403) fails the request naming the proxy, never as if the API had answered.
 */
export function nodeFetch(options: NodeFetchOptions = {}): typeof fetch {
  const maxSockets = options.maxSockets ?? 64;
  const tls = options.ca ? { ca: options.ca } : {};
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, maxSockets }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets, ...tls }),
  };
  // One agent per proxy and scheme, so tunnels and proxy connections are kept alive like direct ones.
  const proxyAgents = new Map<string, HttpAgent>();
  const route = (url: URL): { agent: HttpAgent; proxy?: URL } => {
    const protocol = url.protocol as 'http:' | 'https:';
    const proxy = proxyFor(options.proxy, url);
    if (!proxy) return { agent: agents[protocol] };
    const key = `${protocol} ${proxy.href}`;
    let agent = proxyAgents.get(key);
    if (!agent) {
      // https: a CONNECT tunnel, TLS with the API inside it (trusting `ca` when given); http: absolute-form requests.
      agent = protocol === 'https:' ? new HttpsProxyAgent(proxy, { keepAlive: true, maxSockets, ...tls }) : new HttpProxyAgent(proxy, { keepAlive: true, maxSockets });
      proxyAgents.set(key, agent);
    }
    return { agent, proxy };
  };
  const send = async (input: string | URL | Request, init: RequestInit = {}, redirects = 0): Promise<Response> => {
    // A Request (the Graph SDK sends them), or a body other than text or bytes: let Request read it.
    const simple = !(input instanceof Request) && (init.body === undefined || init.body === null || typeof init.body === 'string' || init.body instanceof Uint8Array);
    const request = simple ? undefined : new Request(input, init);
    const url = new URL(request ? request.url : input instanceof URL ? input.href : (input as string));
    const method = (request?.method ?? init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(request ? request.headers : init.headers).forEach((value, name) => (headers[name] = value));
    headers['accept-encoding'] ??= 'gzip, deflate, br';
    const body = request ? (request.body ? Buffer.from(await request.arrayBuffer()) : undefined) : (init.body as string | Uint8Array | null | undefined) ?? undefined;
    const signal = request?.signal ?? init.signal ?? undefined;
    const redirect = request?.redirect ?? init.redirect ?? 'follow';
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`fetch: unsupported protocol ${url.protocol}`);
    signal?.throwIfAborted();
    const { agent, proxy } = route(url);
    /** The proxy's own answer when it refused the tunnel (https-proxy-agent replays it as the response). */
    let refusal: { statusCode: number; statusText: string } | undefined;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      // https-proxy-agent starts its TLS with the API from the request's options, not the agent's.
      const req = send(url, { method, headers, agent, ...(proxy ? tls : {}), ...(signal ? { signal } : {}) }, resolve);
      req.once('proxyConnect', (answer: { statusCode: number; statusText: string }) => {
        if (answer.statusCode !== 200) refusal = answer;
      });
      // A failure on the way names the proxy it went through: the operator's fix may be there (its address, its CA).
      req.on('error', (error) => reject(signal?.aborted ? signal.reason : proxy ? new Error(`through proxy ${redactUrl(proxy.href)}`, { cause: error }) : error));
      req.end(body);
    });
    const status = res.statusCode ?? 500;
    // Only a proxy answers 407; for an http: target it comes as the response itself.
    if (proxy && (refusal || status === 407)) {
      res.resume();
      throw proxyRefused(proxy, url, refusal ?? { statusCode: status, statusText: res.statusMessage ?? '' });
    }
    const location = res.headers.location;
    if (redirect !== 'manual' && [301, 302, 303, 307, 308].includes(status) && location) {
      res.resume();
      if (redirect === 'error' || redirects >= maxRedirects) throw new TypeError(`fetch: too many redirects or redirect refused at ${url.href}`);
      // 303, and 301/302 after a POST, become a GET without a body, as fetch does.
      const asGet = status === 303 || ((status === 301 || status === 302) && method === 'POST');
      const target = new URL(location, url);
      // Credentials stay with the origin they were meant for, as fetch does: a redirect elsewhere must not carry a token.
      const nextHeaders = target.origin === url.origin ? headers : Object.fromEntries(Object.entries(headers).filter(([name]) => !/^(authorization|proxy-authorization|cookie)$/.test(name)));
      const next: RequestInit = { method: asGet ? 'GET' : method, headers: nextHeaders, redirect, ...(signal ? { signal } : {}), ...(!asGet && body !== undefined ? { body } : {}) };
      return send(target.href, next, redirects + 1);
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
      else if (value !== undefined) responseHeaders.set(name, value);
    }
    const noBody = status === 204 || status === 304 || method === 'HEAD';
    if (noBody) res.resume();
    const response = new Response(noBody ? null : (Readable.toWeb(decoded(res)) as ReadableStream<Uint8Array>), {
      status,
      statusText: res.statusMessage ?? '',
      headers: responseHeaders,
    });
    // A constructed Response has an empty url; clients record it as provenance.
    Object.defineProperty(response, 'url', { value: url.href });
    return response;
  };
  return ((input: string | URL | Request, init?: RequestInit) => send(input, init)) as typeof fetch;
}

/**
 * A proxy's refusal, naming the proxy (password masked) and the target. A 407 (credentials) or a
 * 403 (the proxy's policy) will not change on a retry: they are `network` outcomes at once.
 * Anything else (a 502 while the proxy cannot reach the API) is an error the shared HTTP layer retries.
 */
function proxyRefused(proxy: URL, target: URL, answer: { statusCode: number; statusText: string }): Error {
  const hint = answer.statusCode === 407 ? ' (check the user and password in the proxy variable)' : answer.statusCode === 403 ? " (the proxy's policy does not allow this host)" : '';
  const status = answer.statusText ? `${answer.statusCode} ${answer.statusText}` : String(answer.statusCode);
  const message = `proxy ${redactUrl(proxy.href)} refused ${target.host}: HTTP ${status}${hint}`;
  if (answer.statusCode === 407 || answer.statusCode === 403) return new CollectError('network', message, { endpoint: sanitizeUrl(target.href) });
  return new Error(message);
}

/** The body as sent, decoded per Content-Encoding; a cut-off body errors the stream either way. */
function decoded(res: IncomingMessage): Readable {
  const encoding = res.headers['content-encoding']?.trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  if (!decoder) return res;
  res.on('error', (error) => decoder.destroy(error));
  // A body that ends before its Content-Length says it is complete is an error, not a short body.
  res.on('aborted', () => decoder.destroy(new Error('aborted')));
  return res.pipe(decoder);
}
