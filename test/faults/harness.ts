/**
 * Shared pieces of the fault suite (issue 12): the sandbox environment with per-API fault knobs,
 * a collection through the real pipeline with a fake clock (backoff and Retry-After waits cost no
 * wall time), and the evidence a run stored as a comparable set.
 *
 * Fault knobs (`SandboxFaults` in src/sandbox/http-server.ts): `errorRate`, `throttleRate` with
 * `retryAfterSeconds`, `resetRate`, `truncateRate`, `malformedRate` (stacked on one seeded roll per
 * request), `latencyMs`, `maxInFlight`, and `match` to aim any of them at one endpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type AnnexaConfig } from '../../src/config/config.js';
import { connectorRegistry } from '../../src/registry.js';
import { checkRegistry } from '../../src/checks/registry.js';
import { Redactor } from '../../src/core/redact.js';
import { silentLogger } from '../../src/core/logger.js';
import { planCollection } from '../../src/pipeline/plan.js';
import { runCollection, type CollectResult } from '../../src/pipeline/collect.js';
import { openSqliteStore, type SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { SeededRandom } from '../../src/sandbox/random.js';
import { startSandboxEnvironment, sandboxToken, sandboxTokenVariable, type SandboxEnvironment } from '../../src/demo/sandbox-environment.js';
import { FakeClock } from '../github/fake-clock.js';

/** The company's "now" for every fault test. */
export const COMPANY_NOW = new Date('2026-05-01T12:00:00Z');

/**
 * A reproducible roll per request sequence number: the same seed gives the same fault sequence.
 * `after`: requests the server had already received (its sequence numbers run on across runs).
 */
export function seededRolls(seed: number, after = 0): (seq: number) => number {
  const random = new SeededRandom(seed);
  const rolls: number[] = [];
  return (seq) => {
    while (rolls.length < seq - after) rolls.push(random.next());
    return rolls[seq - after - 1]!;
  };
}

/**
 * The first seed from `from` on whose rolls for requests 1..`requests` include each of the given
 * bands ([lower, upper) in the stacked rates), so an API that gets few requests still sees every
 * fault: the sequence stays reproducible, and no API is left unfaulted by chance.
 */
export function seedHitting(from: number, requests: number, bands: [number, number][]): number {
  for (let seed = from; ; seed++) {
    const roll = seededRolls(seed);
    const rolls = Array.from({ length: requests }, (_, i) => roll(i + 1));
    if (bands.every(([lower, upper]) => rolls.some((r) => r >= lower && r < upper))) return seed;
  }
}

/** A sandbox environment and a temporary folder for stores and configs. */
export interface FaultWorld {
  env: SandboxEnvironment;
  dir: string;
  /** The config of the environment's connectors (optionally a subset, with `http:` overrides). */
  config(name: string, options?: { only?: (entry: Record<string, unknown>) => boolean; http?: Record<string, number>; patch?: (entry: Record<string, unknown>) => Record<string, unknown> }): AnnexaConfig;
  /**
   * A collection through the real pipeline into a fresh store `<name>.db`. The clock stands still
   * (sleeps return at once), so a faulted run sees the same "now", hence the same lookback
   * windows, as a clean one; `advanceClock` moves it by each wait instead. `pauseMs`: each sleep
   * also lets up to that much real time pass, for faults that depend on real time (requests in
   * flight behind the sandbox's real latency: a retry sent at once would find them all still there).
   */
  collect(config: AnnexaConfig, name: string, options?: { advanceClock?: boolean; pauseMs?: number }): Promise<{ result: CollectResult; store: SqliteEvidenceStore; clock: FakeClock }>;
  close(): Promise<void>;
}

/** A {@link FakeClock} whose sleeps also let a little real time pass (up to `pauseMs`). */
class PausingClock extends FakeClock {
  constructor(
    start: Date,
    advanceOnSleep: boolean,
    private readonly pauseMs: number,
  ) {
    super(start, advanceOnSleep);
  }
  override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    await super.sleep(ms, signal);
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms, this.pauseMs)));
  }
}

export async function startFaultWorld(scale = 0.2): Promise<FaultWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'annexa-faults-'));
  const env = await startSandboxEnvironment({ scale, now: COMPANY_NOW, exportsDir: join(dir, 'exports') });
  const stores: SqliteEvidenceStore[] = [];
  return {
    env,
    dir,
    config(name, options = {}) {
      const entries = env
        .connectorEntries()
        .filter(options.only ?? (() => true))
        .map(options.patch ?? ((e) => e));
      return parseConfig(
        { store: { path: join(dir, `${name}.db`) }, people: { aliases: env.peopleAliases() }, ...(options.http ? { http: options.http } : {}), connectors: entries },
        '<test>',
        connectorRegistry,
        { env: { [sandboxTokenVariable]: sandboxToken, ...env.secrets }, readFile: () => '', redactor: new Redactor() },
        checkRegistry,
      );
    },
    async collect(config, name, options = {}) {
      const clock = options.pauseMs ? new PausingClock(COMPANY_NOW, options.advanceClock ?? false, options.pauseMs) : new FakeClock(COMPANY_NOW, options.advanceClock ?? false);
      const store = openSqliteStore(config.storePath);
      stores.push(store);
      const result = await runCollection({ plan: planCollection(config), store, fetch: env.transport, clock, logger: silentLogger(), redactor: new Redactor(), command: name });
      return { result, store, clock };
    },
    async close() {
      for (const s of stores) await s.close().catch(() => undefined);
      await env.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every record a run stored, as sorted `kind instance subject digest` lines. */
export async function evidenceSet(store: SqliteEvidenceStore, runId: string): Promise<string[]> {
  const lines: string[] = [];
  for (const outcome of await store.collections()) {
    if (outcome.runId !== runId) continue;
    for (const { subject, digest } of await store.subjectDigests(outcome)) lines.push(`${outcome.kind} ${outcome.instanceId} ${subject} ${digest}`);
  }
  return lines.sort();
}

/** Outcomes as `instance/collector status[ code]` lines, for readable failure diffs. */
export function outcomeLines(result: CollectResult): string[] {
  return result.outcomes.map((o) => `${o.instanceId}/${o.collectorId} ${o.status}${o.errorCode ? ` ${o.errorCode}` : ''}${o.scopeFailures?.length ? ' partial' : ''}`);
}

export { sandboxToken };
