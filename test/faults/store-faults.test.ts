import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../src/core/redact.js';
import { silentLogger } from '../../src/core/logger.js';
import { StoreWriteError } from '../../src/core/errors.js';
import { planCollection } from '../../src/pipeline/plan.js';
import { runCollection } from '../../src/pipeline/collect.js';
import { openSqliteStore } from '../../storage/sqlite-store.js';
import type { EvidenceStore, RunWriter } from '../../storage/evidence-store.js';
import { runCli } from '../cli/helpers.js';
import { FakeClock } from '../github/fake-clock.js';
import { COMPANY_NOW, evidenceSet, sandboxToken, startFaultWorld, type FaultWorld } from './harness.js';

/**
 * The store cannot be written: a full disk mid-run, and a store path that cannot be written at
 * all. Either way: a clear error naming the store (no stack trace, not a collector's failure), the
 * run left unsealed for the next start to seal as `incomplete`, and the evidence of earlier runs
 * intact and verifiable.
 *
 * A full disk is SQLite's own `SQLITE_FULL` ("database or disk is full") thrown by the run writer
 * after its first batches (a loop-mounted small filesystem needs privileges CI does not have). An
 * unwritable path is a real one: with chmod when not root; as root (chmod does not bind root) a
 * path through a regular file (ENOTDIR), which no user can create either.
 */

let world: FaultWorld;
beforeAll(async () => {
  world = await startFaultWorld();
}, 30_000);
afterAll(async () => world?.close());

const env = { ANNEXA_SANDBOX_TOKEN: sandboxToken };
const httpConnectors = (e: Record<string, unknown>) => ['github', 'jira', 'knowbe4', 'file'].includes(String(e.type));

/** The store, with its run writer failing like SQLite on a full disk after `okBatches` batches. */
function fullDiskAfter(store: EvidenceStore, okBatches: number): EvidenceStore & { failures: number } {
  let batches = 0;
  const wrapped = Object.create(store) as EvidenceStore & { failures: number };
  wrapped.failures = 0;
  wrapped.startRun = async (meta) => {
    const writer = await store.startRun(meta);
    const full = () => {
      wrapped.failures += 1;
      return Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    };
    const failing: RunWriter = Object.create(writer) as RunWriter;
    Object.assign(failing, {
      runId: writer.runId,
      addObservations: async (batch: Parameters<RunWriter['addObservations']>[0]) => {
        if (++batches > okBatches) throw full();
        return writer.addObservations(batch);
      },
      // A collector's last records come with its outcome: a batch like the others.
      addOutcome: async (outcome: Parameters<RunWriter['addOutcome']>[0], last: Parameters<RunWriter['addOutcome']>[1] = []) => {
        if (last.length > 0) ++batches;
        if (batches > okBatches) throw full();
        return writer.addOutcome(outcome, last);
      },
      finish: writer.finish.bind(writer),
      abandon: writer.abandon.bind(writer),
    });
    return failing;
  };
  return wrapped;
}

describe('the disk fills up mid-run', () => {
  it('stops with a StoreWriteError naming the store, leaves the run unsealed, and earlier evidence verifies', async () => {
    const config = world.config('full', { only: httpConnectors });
    const store = openSqliteStore(config.storePath);
    const clean = await runCollection({ plan: planCollection(config), store, fetch: world.env.transport, clock: new FakeClock(COMPANY_NOW), logger: silentLogger(), redactor: new Redactor(), command: 'clean' });
    expect(clean.status).toBe('complete');
    const before = await evidenceSet(store, clean.run.id);

    const full = fullDiskAfter(store, 2);
    const error = await runCollection({ plan: planCollection(config), store: full, fetch: world.env.transport, clock: new FakeClock(COMPANY_NOW), logger: silentLogger(), redactor: new Redactor(), command: 'full' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(full.failures).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(StoreWriteError);
    expect((error as Error).message).toBe(`cannot write to the evidence store ${config.storePath}: database or disk is full (SQLITE_FULL)`);

    const runs = await store.runs();
    expect(runs.map((r) => r.status)).toEqual(['running', 'complete']);
    const report = await store.verify();
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(await evidenceSet(store, clean.run.id)).toEqual(before);
    await store.close();

    // The next run (disk freed) seals the interrupted one as incomplete and completes.
    const next = world.config('full', { only: httpConnectors });
    const reopened = openSqliteStore(next.storePath);
    const after = await runCollection({ plan: planCollection(next), store: reopened, fetch: world.env.transport, clock: new FakeClock(COMPANY_NOW), logger: silentLogger(), redactor: new Redactor(), command: 'after' });
    expect(after.status).toBe('complete');
    expect((await reopened.runs()).map((r) => r.status)).toEqual(['complete', 'incomplete', 'complete']);
    expect(await evidenceSet(reopened, after.run.id)).toEqual(before);
    await reopened.close();
  }, 30_000);
});

describe('a store path that cannot be written', () => {
  it('annexa collect exits 1 with one line naming the store, no stack trace; the evidence already there verifies', async () => {
    const dir = join(world.dir, 'readonly');
    mkdirSync(dir);
    const connectors = world.env.connectorEntries().filter(httpConnectors);
    const file = join(dir, 'annexa.yaml');
    writeFileSync(file, stringify({ store: { path: './data/evidence.db' }, connectors }));
    const first = await runCli(['collect', '--config', file], dir, env);
    expect(first.code, first.stderr).toBe(0);

    const root = process.getuid?.() === 0;
    const unwritable = root ? join(dir, 'not-a-directory', 'evidence.db') : join(dir, 'data', 'evidence.db');
    if (root) writeFileSync(join(dir, 'not-a-directory'), 'a file where the store folder should be\n');
    else for (const p of ['data/evidence.db', 'data']) (await import('node:fs')).chmodSync(join(dir, p), 0o555);
    try {
      const ro = join(dir, 'ro.yaml');
      writeFileSync(ro, stringify({ store: { path: unwritable.slice(dir.length + 1) }, connectors }));
      const second = await runCli(['collect', '--config', ro], dir, env);
      expect(second.code).toBe(1);
      expect(second.stderr).not.toMatch(/^\s+at /m);
      expect(second.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(second.stderr).toMatch(new RegExp(`^annexa: cannot write to the evidence store ${unwritable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+ \\((ENOTDIR|EEXIST|EACCES|SQLITE_READONLY|SQLITE_CANTOPEN)\\)\\n$`));
    } finally {
      if (!root) for (const p of ['data', 'data/evidence.db']) (await import('node:fs')).chmodSync(join(dir, p), 0o755);
      rmSync(join(dir, 'not-a-directory'), { force: true });
    }
    const verify = await runCli(['verify', '--config', file], dir, env);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const runs = JSON.parse((await runCli(['runs', '--json', '--config', file], dir, env)).stdout) as { status: string }[];
    expect(runs.map((r) => r.status)).toEqual(['complete']);
  }, 30_000);
});
