import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectError, ConfigError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { Redactor } from '../../src/core/redact.js';
import { createHttpFetch, defaultHttpPolicy } from '../../src/http/http-fetch.js';
import { nodeFetch } from '../../src/http/node-fetch.js';
import { describeProxySettings, proxyFor, proxySettingsFromEnv } from '../../src/http/proxy.js';
import { planCollection } from '../../src/pipeline/plan.js';
import { runCollection } from '../../src/pipeline/collect.js';
import { openSqliteStore } from '../../storage/sqlite-store.js';
import { createGithubWorld, createSyntheticCompany } from '../../src/sandbox/index.js';
import { startGithubSandbox } from '../../src/sandbox/github/server.js';
import { systemClock } from '../../src/core/clock.js';
import { runCli, tempDir } from '../cli/helpers.js';
import { githubSandboxConfig } from '../github/sandbox-config.js';
import { outboundFetch, type CliIO } from '../../src/cli/runtime.js';
import { createLogger } from '../../src/core/logger.js';
import { writeFileSync } from 'node:fs';

/**
 * A self-signed certificate for `api.annexa.test` only, for the HTTPS server behind the test proxy.
 * The name cannot be resolved on this machine: a request reaches that server only through the proxy.
 */
const apiTls = {
  cert: `-----BEGIN CERTIFICATE-----
MIIBzjCCAXWgAwIBAgIUBbEhFJ72p43EMYlMLO/oBlmOzJ0wCgYIKoZIzj0EAwIw
LjEsMCoGA1UEAwwjQW5uZXhhIHByb3h5IHRlc3QgKGFwaS5hbm5leGEudGVzdCkw
IBcNMjYxMjAyMTI0NjQwWhgPMjEyNjExMDgxMjQ2NDBaMC4xLDAqBgNVBAMMI0Fu
bmV4YSBwcm94eSB0ZXN0IChhcGkuYW5uZXhhLnRlc3QpMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEx56bee34IYH6iabobtgUJFV75J6qkJqbJA6DO/IjBAEZfipk
qCTKvwwz7wxigrBtxt58jhx9Qz0JGRuPG/vst6NvMG0wHQYDVR0OBBYEFDXAUanQ
xrwkLfILH5PKu1jA3TWgMB8GA1UdIwQYMBaAFDXAUanQxrwkLfILH5PKu1jA3TWg
MA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYIPYXBpLmFubmV4YS50ZXN0MAoG
CCqGSM49BAMCA0cAMEQCIGZRyJsuqoW9r83k48E7/6Wz88hBT8305r+niK9oS3rI
AiBadEIW9bajMBI0M7E4IP0Pi9fPFaX8sY0KbTbKRtpGDQ==
-----END CERTIFICATE-----
`,
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgio1NpYqqeal9lF8Y
WWfSqZFjk0RlmwzGCDOhna9M2yahRANCAATHnpt57fghgfqJpuhu2BQkVXvknqqQ
mpskDoM78iMEARl+KmSoJMq/DDPvDGKCsG3G3nyOHH1DPQkZG48b++y3
-----END PRIVATE KEY-----
`,
};

const USER = 'annexa';
const PASSWORD = 's@cret-proxy-pass';
const expectedAuth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

/**
 * A corporate egress proxy: Basic credentials required, `*.annexa.test` allowed and resolved to
 * 127.0.0.1 (nothing else can resolve it), `blocked.annexa.test` refused by policy. CONNECT for
 * `https:` targets, absolute-form requests for `http:` ones.
 */
interface TestProxy {
  port: number;
  url: (password?: string) => string;
  connects: string[];
  forwarded: string[];
  close: () => Promise<void>;
}

async function startProxy(): Promise<TestProxy> {
  const connects: string[] = [];
  const forwarded: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.headers['proxy-authorization'] !== expectedAuth) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="corp"' }).end();
      return;
    }
    const target = new URL(req.url ?? '');
    forwarded.push(`${req.method ?? 'GET'} ${target.host}${target.pathname}`);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = httpRequest({ host: '127.0.0.1', port: target.port, method: req.method, path: `${target.pathname}${target.search}`, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    connects.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    if (req.headers['proxy-authorization'] !== expectedAuth) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (host === 'blocked.annexa.test' || !host?.endsWith('.annexa.test')) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = connect(Number(port), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (password = PASSWORD) => `http://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    connects,
    forwarded,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers every request with what it saw: the Host header and whether a proxy header leaked through. */
function echo(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ host: req.headers.host, path: req.url, proxyAuthorization: req.headers['proxy-authorization'] ?? null, authorization: req.headers.authorization ?? null }));
}

describe('proxySettingsFromEnv and proxyFor (which requests go through which proxy)', () => {
  const target = (url: string) => proxyFor(proxySettingsFromEnv(env), new URL(url))?.href;
  let env: Record<string, string> = {};

  it('reads nothing when no proxy variable is set (no_proxy alone changes nothing)', () => {
    expect(proxySettingsFromEnv({ NO_PROXY: 'example.com', PATH: '/usr/bin' })).toBeUndefined();
    expect(proxySettingsFromEnv({ HTTPS_PROXY: '  ' })).toBeUndefined();
  });

  it('sends https: targets through https_proxy and http: ones through http_proxy, lower case first, all_proxy last', () => {
    env = { HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', HTTP_PROXY: 'http://plain:8080' };
    expect(target('https://api.github.com/orgs')).toBe('http://lower:3128/');
    expect(target('http://intranet.example/')).toBe('http://plain:8080/');
    env = { ALL_PROXY: 'http://all:3128' };
    expect(target('https://graph.microsoft.com/v1.0/users')).toBe('http://all:3128/');
    expect(target('http://intranet.example/')).toBe('http://all:3128/');
    env = { HTTPS_PROXY: 'http://only-https:3128' };
    expect(target('http://intranet.example/')).toBeUndefined();
  });

  it('takes a proxy without a scheme as http://, as curl does', () => {
    env = { HTTPS_PROXY: 'proxy.corp:3128' };
    expect(target('https://api.github.com/')).toBe('http://proxy.corp:3128/');
  });

  it('sends loopback targets direct whatever no_proxy says', () => {
    env = { HTTPS_PROXY: 'http://proxy:3128', HTTP_PROXY: 'http://proxy:3128' };
    for (const url of ['http://127.0.0.1:8080/', 'https://127.0.0.53/', 'http://localhost:3000/', 'https://api.localhost/', 'http://[::1]:9000/']) expect(target(url), url).toBeUndefined();
    expect(target('http://128.0.0.1/')).toBe('http://proxy:3128/');
  });

  it.each([
    ['*', 'https://api.github.com/', true],
    ['example.com', 'https://example.com/', true],
    ['example.com', 'https://api.example.com/', true],
    ['example.com', 'https://notexample.com/', false],
    ['.example.com', 'https://api.example.com/', true],
    ['*.example.com', 'https://deep.api.example.com/', true],
    ['EXAMPLE.com', 'https://Api.Example.COM/', true],
    ['example.com:8443', 'https://example.com:8443/', true],
    ['example.com:8443', 'https://example.com/', false],
    ['other.org, example.com', 'https://example.com/', true],
    ['other.org example.com', 'https://example.com/', true],
    ['10.0.0.0/8', 'https://10.20.30.40/', true],
    ['10.0.0.0/8', 'https://11.0.0.1/', false],
    ['192.168.1.5', 'https://192.168.1.5/', true],
    ['fd00::/8', 'https://[fd12::1]/', true],
    ['[fd12::1]:443', 'https://[fd12::1]/', true],
    ['10.0.0.0/8', 'https://ten.example/', false],
  ])('no_proxy %j: %s direct = %s', (noProxy, url, direct) => {
    env = { HTTPS_PROXY: 'http://proxy:3128', no_proxy: noProxy };
    expect(target(url) === undefined).toBe(direct);
  });

  it.each([
    [{ HTTPS_PROXY: 'socks5://proxy:1080' }, 'HTTPS_PROXY: socks5:// proxies are not supported'],
    [{ http_proxy: 'http://proxy:99999' }, 'http_proxy: http://proxy:99999 is not a URL'],
    [{ all_proxy: 'http://user:hunter22@' }, 'all_proxy: http://user:***@ is not a URL'],
  ])('refuses %j with a message naming the variable', (bad, message) => {
    const attempt = () => proxySettingsFromEnv(bad);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    expect(() => attempt()).not.toThrow(/hunter22/);
  });

  it('describes the settings for the log with the password masked', () => {
    const settings = proxySettingsFromEnv({ HTTPS_PROXY: 'http://svc:hunter22@proxy:3128', NO_PROXY: '.corp' })!;
    expect(describeProxySettings(settings)).toEqual({ httpsProxy: 'http://svc:***@proxy:3128/', noProxy: '.corp' });
  });
});

describe('nodeFetch through a proxy', () => {
  let proxy: TestProxy;
  const https = createHttpsServer(apiTls, echo);
  const http = createServer(echo);
  let httpsPort = 0;
  let httpPort = 0;
  beforeAll(async () => {
    proxy = await startProxy();
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpsPort = (https.address() as AddressInfo).port;
    httpPort = (http.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await proxy.close();
    https.closeAllConnections();
    http.closeAllConnections();
    await new Promise((resolve) => https.close(resolve));
    await new Promise((resolve) => http.close(resolve));
  });
  const fetchWith = (variables: Record<string, string>) => nodeFetch({ ca: apiTls.cert, proxy: proxySettingsFromEnv(variables)! });

  it('tunnels https: requests with CONNECT, TLS with the API inside, one tunnel kept alive for several requests', async () => {
    const fetch = fetchWith({ HTTPS_PROXY: proxy.url() });
    const before = proxy.connects.length;
    for (const path of ['/a', '/b', '/c']) {
      const response = await fetch(`https://api.annexa.test:${httpsPort}${path}`, { headers: { authorization: 'Bearer api-token' } });
      expect(response.status).toBe(200);
      // The API got the request as sent to it, its token included; the proxy's credentials never reach it.
      expect(await response.json()).toEqual({ host: `api.annexa.test:${httpsPort}`, path, proxyAuthorization: null, authorization: 'Bearer api-token' });
    }
    expect(proxy.connects.slice(before)).toEqual([`api.annexa.test:${httpsPort}`]);
  });

  it('sends http: requests to the proxy in absolute form', async () => {
    const fetch = fetchWith({ HTTP_PROXY: proxy.url() });
    const response = await fetch(`http://api.annexa.test:${httpPort}/plain?x=1`);
    expect(await response.json()).toMatchObject({ host: `api.annexa.test:${httpPort}`, path: '/plain?x=1', proxyAuthorization: null });
    expect(proxy.forwarded).toContain(`GET api.annexa.test:${httpPort}/plain`);
  });

  it('goes direct to loopback with a proxy set: the proxy sees nothing', async () => {
    const fetch = fetchWith({ HTTPS_PROXY: proxy.url(), HTTP_PROXY: proxy.url() });
    const seen = proxy.connects.length + proxy.forwarded.length;
    const response = await fetch(`http://127.0.0.1:${httpPort}/direct`);
    expect(await response.json()).toMatchObject({ path: '/direct' });
    expect(proxy.connects.length + proxy.forwarded.length).toBe(seen);
  });

  it('fails with `network` naming the proxy (password masked) when it refuses the credentials, and is not retried', async () => {
    const transport = fetchWith({ HTTPS_PROXY: proxy.url('wrong-password') });
    const fetch = createHttpFetch({ policy: { ...defaultHttpPolicy, backoffBaseMs: 1, backoffMaxMs: 1 }, fetch: transport, clock: systemClock, logger: silentLogger() });
    const before = proxy.connects.length;
    const error = await fetch(`https://api.annexa.test:${httpsPort}/orgs`).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CollectError);
    expect((error as CollectError).code).toBe('network');
    expect((error as CollectError).message).toBe(`proxy http://annexa:***@127.0.0.1:${proxy.port}/ refused api.annexa.test:${httpsPort}: HTTP 407 Proxy Authentication Required (check the user and password in the proxy variable)`);
    expect((error as CollectError).message).not.toContain('wrong-password');
    expect(proxy.connects.length - before).toBe(1);
  });

  it('names the proxy when it cannot be reached, and retries like any network failure', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const transport = nodeFetch({ proxy: proxySettingsFromEnv({ HTTPS_PROXY: `http://svc:hunter22@127.0.0.1:${port}` })! });
    const fetch = createHttpFetch({ policy: { ...defaultHttpPolicy, maxRetries: 1, backoffBaseMs: 1, backoffMaxMs: 1 }, fetch: transport, clock: systemClock, logger: silentLogger() });
    const error = (await fetch(`https://api.annexa.test:${httpsPort}/orgs`).then(() => undefined, (e: unknown) => e)) as CollectError;
    expect(error.code).toBe('network');
    expect(error.message).toBe(`GET https://api.annexa.test:${httpsPort}/orgs failed: through proxy http://svc:***@127.0.0.1:${port}/ (connect ECONNREFUSED 127.0.0.1:${port}) (2 attempts)`);
  });

  it("fails with `network` when the proxy's policy refuses the host", async () => {
    const fetch = fetchWith({ HTTPS_PROXY: proxy.url() });
    await expect(fetch(`https://blocked.annexa.test:${httpsPort}/`)).rejects.toThrow(/refused blocked\.annexa\.test:\d+: HTTP 403 Forbidden \(the proxy's policy does not allow this host\)/);
  });

  it('fails on an http: target when the proxy answers 407 itself', async () => {
    const fetch = fetchWith({ HTTP_PROXY: proxy.url('wrong-password') });
    await expect(fetch(`http://api.annexa.test:${httpPort}/`)).rejects.toThrow(/HTTP 407/);
  });

  it('collects a whole connector through the proxy: every request of the GitHub connector forwarded, the run complete', async () => {
    const world = createGithubWorld(createSyntheticCompany({ now: new Date('2026-05-01T12:00:00Z'), scale: 0.2, seed: 3 }));
    const sandbox = await startGithubSandbox(world, { token: 'proxy-run-token' });
    const dir = mkdtempSync(join(tmpdir(), 'annexa-proxy-'));
    try {
      const port = new URL(sandbox.url).port;
      const config = githubSandboxConfig(`http://api.annexa.test:${port}`, join(dir, 'evidence.db'), 'proxy-run-token');
      const store = openSqliteStore(config.storePath);
      const before = proxy.forwarded.length;
      const result = await runCollection({ plan: planCollection(config), store, fetch: fetchWith({ HTTP_PROXY: proxy.url() }), clock: systemClock, logger: silentLogger(), redactor: new Redactor(), command: 'proxy-test' });
      await store.close();
      expect(result.status).toBe('complete');
      expect(result.outcomes.filter((o) => o.status !== 'collected').map((o) => `${o.collectorId}: ${o.errorCode} ${o.errorMessage}`)).toEqual([]);
      expect(result.outcomes.reduce((n, o) => n + o.recordCount, 0)).toBeGreaterThan(20);
      expect(sandbox.requestCount()).toBeGreaterThan(5);
      expect(proxy.forwarded.length - before).toBe(sandbox.requestCount());
    } finally {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`annexa collect` reads the proxy from the environment and collects through it', async () => {
    const world = createGithubWorld(createSyntheticCompany({ now: new Date('2026-05-01T12:00:00Z'), scale: 0.2, seed: 3 }));
    const sandbox = await startGithubSandbox(world, { token: 'proxy-cli-token' });
    const { dir, cleanup } = tempDir();
    try {
      const config = `store:\n  path: evidence.db\nconnectors:\n  - id: github-acme\n    type: github\n    org: acme\n    token: \${GITHUB_TOKEN}\n    baseUrl: http://api.annexa.test:${new URL(sandbox.url).port}\n`;
      writeFileSync(join(dir, 'annexa.yaml'), config);
      const before = proxy.forwarded.length;
      const run = await runCli(['collect', '--config', 'annexa.yaml'], dir, { GITHUB_TOKEN: 'proxy-cli-token', http_proxy: proxy.url() });
      expect(run.code, run.stderr).toBe(0);
      expect(sandbox.requestCount()).toBeGreaterThan(5);
      expect(proxy.forwarded.length - before).toBe(sandbox.requestCount());
    } finally {
      await sandbox.close();
      cleanup();
    }
  });
});

describe('outboundFetch (the transport of collect, run and worker)', () => {
  it('logs the proxy with its password masked, and makes the password a secret the redactor masks everywhere', () => {
    const lines: string[] = [];
    const redactor = new Redactor();
    const logger = createLogger({ redactor, destination: { write: (line: string) => void lines.push(line) } });
    const io: CliIO = { stdout: () => undefined, stderr: () => undefined, env: { HTTPS_PROXY: `http://svc:${encodeURIComponent(PASSWORD)}@proxy.corp:3128`, NO_PROXY: '.corp' }, isTTY: false, cwd: '/' };
    outboundFetch(io, logger, redactor);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: expect.stringContaining('outbound requests go through a proxy'), httpsProxy: 'http://svc:***@proxy.corp:3128/', noProxy: '.corp' });
    expect(redactor.redact(`connect failed for svc:${PASSWORD}@proxy`)).not.toContain(PASSWORD);
    expect(redactor.redact(`http://svc:${encodeURIComponent(PASSWORD)}@proxy`)).not.toContain(encodeURIComponent(PASSWORD));
  });

  it('logs nothing and adds no secret without a proxy', () => {
    const lines: string[] = [];
    const redactor = new Redactor();
    outboundFetch({ stdout: () => undefined, stderr: () => undefined, env: {}, isTTY: false, cwd: '/' }, createLogger({ redactor, destination: { write: (line: string) => void lines.push(line) } }), redactor);
    expect(lines).toEqual([]);
  });
});

describe('annexa with a bad proxy variable', () => {
  it('exits 2 naming the variable, before collecting anything', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'annexa.yaml'), 'store:\n  path: evidence.db\nconnectors:\n  - id: github-acme\n    type: github\n    org: acme\n    token: ${GITHUB_TOKEN}\n');
      const run = await runCli(['collect', '--config', 'annexa.yaml'], dir, { GITHUB_TOKEN: 'x', HTTPS_PROXY: 'socks5://user:hunter22@proxy:1080' });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('HTTPS_PROXY: socks5:// proxies are not supported');
      expect(run.stderr).not.toContain('hunter22');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      cleanup();
    }
  });
});
