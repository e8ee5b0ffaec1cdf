import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startLatencyProxy } from '../../src/sandbox/scale-out.js';

// The API the proxy stands in front of: echoes what it got, with the Host it saw.
const seen: string[] = [];
const api: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d));
  req.on('end', () => {
    seen.push(`${req.method} ${req.url}`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, body }));
  });
});
await new Promise<void>((ready) => api.listen(0, '127.0.0.1', ready));
const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((done) => api.close(() => done())));

describe('the scale-out latency proxy', () => {
  it('delays every request on a kept-alive connection by the latency, passing requests and answers unchanged', async () => {
    const latencyMs = 120;
    const proxy = await startLatencyProxy(apiUrl, latencyMs);
    try {
      for (const [i, method] of ['GET', 'POST', 'GET'].entries()) {
        const started = performance.now();
        const res = await fetch(`${proxy.url}/orgs/acme/repos?page=${i + 1}`, { method, ...(method === 'POST' ? { body: '{"query":"{ viewer { login } }"}' } : {}) });
        const elapsed = performance.now() - started;
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({
          method,
          url: `/orgs/acme/repos?page=${i + 1}`,
          host: new URL(proxy.url).host,
          body: method === 'POST' ? '{"query":"{ viewer { login } }"}' : '',
        });
        expect(elapsed).toBeGreaterThanOrEqual(latencyMs - 5);
      }
      expect(seen).toEqual(['GET /orgs/acme/repos?page=1', 'POST /orgs/acme/repos?page=2', 'GET /orgs/acme/repos?page=3']);
    } finally {
      await proxy.close();
    }
  });
});
