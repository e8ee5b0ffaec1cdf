import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeFetch } from '../../src/http/node-fetch.js';

/** A local server with one route per behaviour the transport must get right. */
function handler(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    switch (req.url) {
      case '/echo':
        res.setHeader('content-type', 'application/json');
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null }));
        return;
      case '/moved':
        res.writeHead(301, { location: '/echo' }).end();
        return;
      case '/see-other':
        res.writeHead(303, { location: '/echo' }).end();
        return;
      case '/elsewhere':
        // The same server under another origin (localhost instead of 127.0.0.1).
        res.writeHead(302, { location: `http://localhost:${(req.socket.localPort ?? 0).toString()}/echo` }).end();
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' }).end();
        return;
      case '/gzip':
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' }).end(gzipSync('{"zipped":true}'));
        return;
      case '/cut':
        // Promises 1,000 bytes, sends 10, then drops the connection.
        res.writeHead(200, { 'content-length': '1000' });
        res.write('0123456789');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      case '/slow':
        setTimeout(() => res.end('late'), 2000);
        return;
      case '/empty':
        res.writeHead(204).end();
        return;
      default:
        res.writeHead(404).end('{"message":"Not Found"}');
    }
  });
}

describe('nodeFetch (the transport under the shared HTTP layer)', () => {
  const server = createServer(handler);
  let base = '';
  const fetch = nodeFetch();
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends method, headers and body, and answers with status, headers, url and body like fetch', async () => {
    const response = await fetch(`${base}/echo`, { method: 'POST', headers: { authorization: 'token x' }, body: 'hello' });
    expect(response.status).toBe(200);
    expect(response.url).toBe(`${base}/echo`);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(await response.json()).toEqual({ method: 'POST', body: 'hello', auth: 'token x' });
  });

  it('accepts a Request and any body a Request accepts', async () => {
    const response = await fetch(new Request(`${base}/echo`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) }));
    expect(await response.json()).toMatchObject({ method: 'POST', body: 'grant_type=client_credentials' });
  });

  it('follows redirects (a 303 becomes a GET), stops after five, and leaves them alone when asked', async () => {
    const moved = await fetch(`${base}/moved`);
    expect(moved.status).toBe(200);
    expect(moved.url).toBe(`${base}/echo`);
    expect(await (await fetch(`${base}/see-other`, { method: 'POST', body: 'x' })).json()).toMatchObject({ method: 'GET', body: '' });
    await expect(fetch(`${base}/loop`)).rejects.toThrow(/too many redirects/);
    expect((await fetch(`${base}/moved`, { redirect: 'manual' })).status).toBe(301);
  });

  it('keeps the authorization header on a same-origin redirect and drops it on a redirect to another origin', async () => {
    expect(await (await fetch(`${base}/moved`, { headers: { authorization: 'token secret' } })).json()).toMatchObject({ auth: 'token secret' });
    expect(await (await fetch(`${base}/elsewhere`, { headers: { authorization: 'token secret' } })).json()).toMatchObject({ auth: null });
  });

  it('decodes a gzip body', async () => {
    expect(await (await fetch(`${base}/gzip`)).json()).toEqual({ zipped: true });
  });

  it('errors the body of a response cut off before its Content-Length, so it is never taken as complete', async () => {
    const response = await fetch(`${base}/cut`);
    await expect(response.text()).rejects.toThrow();
  });

  it('rejects with the signal’s reason when aborted, and has no body for a 204', async () => {
    await expect(fetch(`${base}/slow`, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const empty = await fetch(`${base}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });
});
