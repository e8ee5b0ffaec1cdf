/**
 * Test harness for the GitHub connector: builds the client exactly as the pipeline does (shared
 * HTTP layer over the global fetch that nock intercepts), a fixed fake clock, fixture loading,
 * nock helpers for REST and GraphQL, and a real-pipeline setup with a temporary SQLite store.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { CollectorDefinition, EvidenceRecord, RequestRef } from '../../src/core/connector.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { Secret } from '../../src/core/secret.js';
import { Redactor } from '../../src/core/redact.js';
import { createHttpFetch, defaultHttpPolicy } from '../../src/http/http-fetch.js';
import { parseConfig, type AnnexaConfig } from '../../src/config/config.js';
import { connectorRegistry } from '../../src/registry.js';
import { openSqliteStore, type SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { GitHubApi } from '../../connectors/github/client.js';
import type { GitHubSettings } from '../../connectors/github/settings.js';

export { FakeClock } from './fake-clock.js';
import { FakeClock, NOW } from './fake-clock.js';
export { NOW };
export const AT = NOW.toISOString();
export const API = 'https://api.github.test';
/** Obviously fake, but shaped like a classic PAT (`ghp_` + 36 characters) so token patterns apply. */
export const TOKEN = 'ghp_' + 'annexaTestTokenNotARealSecret'.padEnd(36, '0');

const fixturesDir = new URL('./fixtures/', import.meta.url);

/** A fixture's parsed JSON (a fresh copy each call, so tests may mutate it). */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, fixturesDir), 'utf8')) as T;
}

let requestSeq = 0;
/** A GitHub-like request id (`C0DE:1A2B:...`), unique per call. */
export function nextRequestId(): string {
  requestSeq++;
  return `C0DE:${(0x1a2b00 + requestSeq).toString(16).toUpperCase()}:9F3A1C:4B7D2E:6744A1B2`;
}

/** Response headers GitHub sends with every REST and GraphQL answer. */
export function ghHeaders(requestId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'x-github-request-id': requestId,
    'x-github-media-type': 'github.v3; format=json',
    'x-github-api-version-selected': '2022-11-28',
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4987',
    'x-ratelimit-reset': String(NOW.getTime() / 1000 + 3600),
    'x-ratelimit-used': '13',
    'x-ratelimit-resource': 'core',
    ...extra,
  };
}

/** A `Link` header value with the given relations. */
export function link(rels: Record<string, string>): string {
  return Object.entries(rels)
    .map(([rel, url]) => `<${url}>; rel="${rel}"`)
    .join(', ');
}

/** The nock scope for the test API (or another host); every request must carry the token and Annexa's user agent. */
export function github(base: string = API): nock.Scope {
  return nock(base, {
    reqheaders: {
      authorization: `token ${TOKEN}`,
      'user-agent': (value: string) => value.startsWith('annexa/'),
    },
  });
}

/** Matches a GraphQL POST body carrying exactly this query text and these variables. */
export function graphqlBody(query: string, variables: Record<string, unknown>) {
  return (body: unknown): boolean => {
    const b = body as { query?: unknown; variables?: unknown };
    return b.query === query && isDeepStrictEqual(b.variables, variables);
  };
}

/** The provenance of a REST GET the client made. */
export function get(url: string, requestId: string, status = 200): RequestRef {
  return { method: 'GET', url, status, requestId, at: AT };
}

/** The provenance of a GraphQL query: POST /graphql with the operation name as the fragment. */
export function gql(operation: string, requestId: string): RequestRef {
  return { method: 'POST', url: `${API}/graphql#${operation}`, status: 200, requestId, at: AT };
}

/**
 * Registers nock hygiene for a test file: no real network, every request must match an
 * interceptor (an unmatched one is recorded and fails the test), interceptors are cleared after
 * each test.
 */
export function useNock(): { unmatched: string[] } {
  const state = { unmatched: [] as string[] };
  const onNoMatch = (req: { method?: string; href?: string; path?: string; options?: { href?: string } }) => {
    state.unmatched.push(`${req.method ?? '?'} ${req.href ?? req.options?.href ?? req.path ?? '?'}`);
  };
  beforeAll(() => {
    nock.disableNetConnect();
    nock.emitter.on('no match', onNoMatch);
  });
  beforeEach(() => {
    state.unmatched.length = 0;
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(state.unmatched, 'requests that matched no interceptor').toEqual([]);
    expect(pending, 'interceptors that were never called').toEqual([]);
  });
  afterAll(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.enableNetConnect();
  });
  return state;
}

/** Everything a collector needs, built the way the pipeline builds it. */
export interface Harness {
  client: GitHubApi;
  config: GitHubSettings;
  clock: FakeClock;
  logger: Logger;
  signal: AbortSignal;
}

export function createHarness(options: { lookbackDays?: number; clock?: FakeClock; baseUrl?: string; crossCheckSample?: number } = {}): Harness {
  const clock = options.clock ?? new FakeClock();
  const logger = silentLogger();
  const signal = new AbortController().signal;
  const config: GitHubSettings = {
    org: 'acme',
    token: new Secret(TOKEN, 'env:GITHUB_TOKEN'),
    baseUrl: options.baseUrl ?? API,
    pullRequests: { lookbackDays: options.lookbackDays ?? 90 },
    rulesets: { crossCheckSample: options.crossCheckSample ?? 5 },
  };
  const fetch = createHttpFetch({
    policy: { ...defaultHttpPolicy, backoffBaseMs: 1, maxRetries: 2 },
    fetch: globalThis.fetch,
    clock,
    logger,
  });
  const client = GitHubApi.create(config, { fetch, clock, logger, signal });
  return { client, config, clock, logger, signal };
}

/** Runs one collector to the end and returns every record it yielded. */
export async function collectAll<P>(
  collector: CollectorDefinition<GitHubApi, GitHubSettings, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  h: Harness,
): Promise<EvidenceRecord<P>[]> {
  const records: EvidenceRecord<P>[] = [];
  for await (const r of collector.collect({ client: h.client, config: h.config, instanceId: 'github-acme', clock: h.clock, logger: h.logger, signal: h.signal })) {
    records.push(r as EvidenceRecord<P>);
  }
  return records;
}

/** A real config (parsed by `parseConfig`), a temp SQLite store and the redactor the config fed. */
export interface PipelineSetup {
  dir: string;
  config: AnnexaConfig;
  store: SqliteEvidenceStore;
  redactor: Redactor;
  /** Closes the store (idempotent), e.g. to inspect the files after the WAL is checkpointed. */
  close: () => Promise<void>;
  /** Closes the store and removes the directory. */
  cleanup: () => Promise<void>;
}

export function setupPipeline(): PipelineSetup {
  const dir = mkdtempSync(join(tmpdir(), 'annexa-github-'));
  const redactor = new Redactor();
  const config = parseConfig(
    {
      store: { path: join(dir, 'evidence.db') },
      log: { level: 'silent' },
      http: { maxRetries: 2 },
      connectors: [{ id: 'github-acme', type: 'github', org: 'acme', token: '${GITHUB_TOKEN}', baseUrl: API }],
    },
    '<test>',
    connectorRegistry,
    {
      env: { GITHUB_TOKEN: TOKEN },
      readFile: () => {
        throw new Error('no files in this test');
      },
      redactor,
    },
  );
  const store = openSqliteStore(config.storePath);
  let closed = false;
  const close = async () => {
    if (!closed) await store.close();
    closed = true;
  };
  return {
    dir,
    config,
    store,
    redactor,
    close,
    cleanup: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The bytes of every file in the store directory (db, -wal, -shm, lock), by name. */
export function storeFiles(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir)) files.set(name, readFileSync(join(dir, name)));
  return files;
}
