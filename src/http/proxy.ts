import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../core/errors.js';
import { redactUrl } from './sanitize-url.js';

/**
 * The outbound proxies the environment names, as curl and most HTTP clients read them:
 * `https_proxy` for `https:` targets, `http_proxy` for `http:` ones, `all_proxy` for either, each
 * in lower case first, then upper case; `no_proxy` lists the hosts that go direct.
 */
export interface ProxySettings {
  /** For `https:` targets: a CONNECT tunnel through this proxy, TLS end to end with the API. */
  https?: URL;
  /** For `http:` targets: the request is sent to this proxy in absolute form. */
  http?: URL;
  /** `no_proxy` as given, for the log. */
  noProxy: string;
  /** Whether a target host (and port) bypasses the proxy by `no_proxy`. */
  bypasses: (hostname: string, port: string) => boolean;
}

/** Names of the variables, in the order they are read. */
const variables = {
  https: ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'],
  http: ['http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'],
  noProxy: ['no_proxy', 'NO_PROXY'],
} as const;

/**
 * The proxy settings in `env`, or undefined when no proxy is set. A value that is not an HTTP(S)
 * proxy URL is a {@link ConfigError} naming the variable (its credentials masked); a value without
 * a scheme (`proxy.corp:3128`) means `http://`, as in curl.
 */
export function proxySettingsFromEnv(env: Readonly<Record<string, string | undefined>>): ProxySettings | undefined {
  const read = (names: readonly string[]) => {
    const name = names.find((n) => (env[n] ?? '').trim() !== '');
    return name === undefined ? undefined : { name, value: env[name]!.trim() };
  };
  const https = read(variables.https);
  const http = read(variables.http);
  if (!https && !http) return undefined;
  const noProxy = read(variables.noProxy)?.value ?? '';
  return {
    ...(https ? { https: proxyUrl(https.name, https.value) } : {}),
    ...(http ? { http: proxyUrl(http.name, http.value) } : {}),
    noProxy,
    bypasses: noProxyMatcher(noProxy),
  };
}

/**
 * The proxy a request to `target` goes through, or undefined for a direct connection: loopback
 * targets always go direct (a proxy cannot reach this machine's loopback, and the sandbox and the
 * tests' fakes live there), then `no_proxy` decides.
 */
export function proxyFor(settings: ProxySettings | undefined, target: URL): URL | undefined {
  if (!settings) return undefined;
  const proxy = target.protocol === 'https:' ? settings.https : target.protocol === 'http:' ? settings.http : undefined;
  if (!proxy) return undefined;
  if (isLoopbackHost(target.hostname)) return undefined;
  const hostname = bareHost(target.hostname);
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return settings.bypasses(hostname, port) ? undefined : proxy;
}

/** The settings for a log line: proxies with their passwords masked, and `no_proxy`. */
export function describeProxySettings(settings: ProxySettings): { httpsProxy?: string; httpProxy?: string; noProxy?: string } {
  return {
    ...(settings.https ? { httpsProxy: redactUrl(settings.https.href) } : {}),
    ...(settings.http ? { httpProxy: redactUrl(settings.http.href) } : {}),
    ...(settings.noProxy ? { noProxy: settings.noProxy } : {}),
  };
}

function proxyUrl(name: string, value: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`${name}: ${redactUrl(withScheme)} is not a URL; expected http://[user:password@]host:port`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name}: ${url.protocol}// proxies are not supported; expected an HTTP proxy, http://[user:password@]host:port`);
  }
  if (url.hostname === '') throw new ConfigError(`${name}: ${redactUrl(withScheme)} names no host; expected http://[user:password@]host:port`);
  return url;
}

/**
 * `no_proxy` as curl and Go read it: entries separated by commas or spaces; `*` matches every
 * host; `example.com` (or `.example.com`, `*.example.com`) matches that domain and its subdomains;
 * an IP address or CIDR block (`10.0.0.0/8`, Go's extension) matches IP targets; `:port` limits an
 * entry to one port.
 */
function noProxyMatcher(value: string): (hostname: string, port: string) => boolean {
  const entries = value.toLowerCase().split(/[\s,]+/).filter((e) => e !== '');
  if (entries.includes('*')) return () => true;
  const domains: { suffix: string; port?: string }[] = [];
  const blocks: { list: BlockList; port?: string }[] = [];
  for (const entry of entries) {
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    const host = bareHost(withPort ? withPort[1]! : entry);
    const port = withPort?.[2];
    const [address, prefix] = host.split('/');
    const family = isIP(address ?? '');
    if (family !== 0) {
      const list = new BlockList();
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) list.addAddress(address!, type);
      else list.addSubnet(address!, Number(prefix), type);
      blocks.push({ list, ...(port ? { port } : {}) });
    } else {
      domains.push({ suffix: host.replace(/^\*?\./, ''), ...(port ? { port } : {}) });
    }
  }
  return (hostname, port) => {
    const host = hostname.toLowerCase();
    const family = isIP(host);
    if (family !== 0) return blocks.some((b) => (!b.port || b.port === port) && b.list.check(host, family === 6 ? 'ipv6' : 'ipv4'));
    return domains.some((d) => (!d.port || d.port === port) && (host === d.suffix || host.endsWith(`.${d.suffix}`)));
  };
}

function bareHost(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/** Whether a URL's host name (IPv6 with or without brackets) is this machine's loopback: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(urlHostname: string): boolean {
  const hostname = bareHost(urlHostname);
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  return (isIP(hostname) === 4 && hostname.startsWith('127.')) || hostname === '::1';
}
