/**
 * Runs the real Entra ID and Google Workspace connectors through the real pipeline against the
 * sandbox APIs (HTTPS token endpoint and Graph; Google token exchange, Directory and Reports) on
 * 127.0.0.1, with a temporary SQLite store and captured log lines.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type AnnexaConfig } from '../../src/config/config.js';
import { Redactor } from '../../src/core/redact.js';
import { createLogger } from '../../src/core/logger.js';
import { connectorRegistry } from '../../src/registry.js';
import { checkRegistry } from '../../src/checks/registry.js';
import { planCollection } from '../../src/pipeline/plan.js';
import { runCollection, type CollectResult } from '../../src/pipeline/collect.js';
import { openSqliteStore, type SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { createSyntheticCompany, type SyntheticCompany } from '../../src/sandbox/company.js';
import { createEntraWorld, type EntraWorld } from '../../src/sandbox/microsoft-graph/data.js';
import { startEntraSandbox, type EntraSandbox, type EntraSandboxOptions } from '../../src/sandbox/microsoft-graph/server.js';
import { createGoogleWorld, type GoogleWorld } from '../../src/sandbox/google-workspace/data.js';
import { startGoogleSandbox, type GoogleSandbox, type GoogleSandboxOptions } from '../../src/sandbox/google-workspace/server.js';
import { sandboxTrustingFetch } from '../../src/sandbox/tls.js';
import { googleScopes } from '../../connectors/google-workspace/settings.js';
// The shared fake clock (not the GitHub harness: that module loads nock, whose fetch interceptor
// cannot clone the URL-encoded token requests).
import { FakeClock } from '../github/fake-clock.js';

export const NOW = new Date('2026-11-25T12:00:00Z');

export const CLIENT_ID = '0f0e0d0c-0b0a-4909-8807-060504030201';
export const CLIENT_SECRET = 'Qx8~entra.client.secret.NOT.REAL~abc123';
export const ADMIN = 'admin@acme.example';

export interface IdentityRun {
  company: SyntheticCompany;
  entraWorld: EntraWorld;
  googleWorld: GoogleWorld;
  entra: EntraSandbox | undefined;
  google: GoogleSandbox | undefined;
  config: AnnexaConfig;
  store: SqliteEvidenceStore;
  result: CollectResult;
  clock: FakeClock;
  /** Every log line written during the run (JSON lines, debug level). */
  logs: string[];
  /** The raw bytes of every file of the store. */
  storeBytes(): Buffer;
  /** Collects again into the same store with the clock at `at` (incremental populations read the first run). */
  collectAgain(at: Date): Promise<CollectResult>;
  cleanup(): Promise<void>;
}

export interface IdentityRunOptions {
  scale?: number;
  /** Sandbox options (false: no Entra ID instance). */
  entra?: Partial<EntraSandboxOptions> | false;
  /** Connector settings overriding the defaults (e.g. a wrong clientSecret variable). */
  entraSettings?: Record<string, unknown>;
  google?: Partial<GoogleSandboxOptions> | false;
  env?: Record<string, string>;
}

/** Starts the sandboxes, collects with the real pipeline, and leaves the store open for assertions. */
export async function identityRun(options: IdentityRunOptions = {}): Promise<IdentityRun> {
  const company = createSyntheticCompany({ now: NOW, scale: options.scale ?? 0.25 });
  const entraWorld = createEntraWorld(company);
  const googleWorld = createGoogleWorld(company);
  const entra = options.entra === false ? undefined : await startEntraSandbox(entraWorld, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options.entra });
  const google =
    options.google === false ? undefined : await startGoogleSandbox(googleWorld, { adminEmail: ADMIN, grantedScopes: googleScopes, ...options.google });
  const dir = mkdtempSync(join(tmpdir(), 'annexa-identity-'));
  const redactor = new Redactor();
  const connectors: Record<string, unknown>[] = [];
  if (entra) {
    connectors.push({
      id: 'entra',
      type: 'microsoft-graph',
      tenantId: entraWorld.tenantId,
      clientId: CLIENT_ID,
      clientSecret: '${ENTRA_CLIENT_SECRET}',
      authorityHost: entra.url,
      graphBaseUrl: entra.url,
      ...options.entraSettings,
    });
  }
  if (google) connectors.push({ id: 'google', type: 'google-workspace', adminEmail: ADMIN, serviceAccountKey: '${GOOGLE_SA_KEY}', rootUrl: google.url });
  const config = parseConfig(
    { store: { path: join(dir, 'evidence.db') }, http: { maxRetries: 3 }, connectors },
    '<test>',
    connectorRegistry,
    {
      env: { ENTRA_CLIENT_SECRET: CLIENT_SECRET, GOOGLE_SA_KEY: google?.serviceAccountKey ?? '', ...options.env },
      readFile: () => {
        throw new Error('no files in this test');
      },
      redactor,
    },
    checkRegistry,
  );
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', redactor, destination: { write: (line: string) => void logs.push(line) } });
  const clock = new FakeClock(NOW);
  const store = openSqliteStore(config.storePath);
  const collect = (at: FakeClock) =>
    runCollection({
      plan: planCollection(config),
      store,
      fetch: sandboxTrustingFetch(),
      clock: at,
      logger,
      redactor,
      signal: new AbortController().signal,
      command: 'annexa collect (identity test)',
    });
  const result = await collect(clock);
  return {
    company,
    entraWorld,
    googleWorld,
    entra,
    google,
    config,
    store,
    result,
    clock,
    logs,
    storeBytes: () => Buffer.concat(readdirSync(dir).map((name) => readFileSync(join(dir, name)))),
    collectAgain: (at) => collect(new FakeClock(at)),
    cleanup: async () => {
      await store.close();
      await Promise.all([entra?.close(), google?.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The stored payloads of a kind by subject (latest collection of the instance). */
export async function stored(store: SqliteEvidenceStore, kind: string, instanceId: string): Promise<Map<string, unknown>> {
  const snapshot = (await store.latest(kind, { instanceId }))[0];
  return new Map((snapshot?.records ?? []).map((r) => [r.subject, r.payload]));
}
