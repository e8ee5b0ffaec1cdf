import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../storage/sqlite-store.js';
import type { RunInfo } from '../../storage/evidence-store.js';
import { makeTempDir, sleep, writeRun } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const fixture = path.join(here, 'fixtures', 'crash-writer.ts');
const batches = 200;
const batchSize = 50;

const day = (iso: string) => new Date(`${iso}T00:00:00.000Z`);

let tmp: ReturnType<typeof makeTempDir>;
let child: ChildProcess | undefined;

beforeAll(() => {
  tmp = makeTempDir('annexa-crash-');
});

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  tmp?.cleanup();
});

/**
 * Records the run with this id has committed, counted through a read-only connection (the writer
 * may be mid-transaction): a collection still running keeps its records in `pending`.
 */
function countObservations(dbPath: string, runId: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 1000');
    return db
      .prepare('SELECT COALESCE(SUM(p.record_count), 0) FROM pending p JOIN runs r ON r.seq = p.run_seq WHERE r.id = ?')
      .pluck()
      .get(runId) as number;
  } finally {
    db.close();
  }
}

function lastCollectedAt(dbPath: string, runId: string): string {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare("SELECT MAX(json_extract(e.value, '$[2]')) FROM pending p JOIN runs r ON r.seq = p.run_seq, json_each(p.data, '$.r') e WHERE r.id = ?")
      .pluck()
      .get(runId) as string;
  } finally {
    db.close();
  }
}

describe('a writer killed mid-run', () => {
  it('leaves a verifiable store that the next run seals as incomplete', async () => {
    const dbPath = path.join(tmp.dir, 'evidence.db');
    const lockPath = `${dbPath}.lock`;

    // Two sealed runs before the crash.
    const store = openSqliteStore(dbPath);
    await writeRun(store, day('2024-01-01'), [{ kind: 'test.repo.v1', records: { api: { run: 1 } } }]);
    await writeRun(store, day('2024-02-01'), [{ kind: 'test.repo.v1', records: { api: { run: 2 } } }]);
    const sealedBefore: RunInfo[] = await store.runs();
    await store.close();

    // Start the writer in a child process and wait until it has committed a few batches.
    child = spawn(process.execPath, ['--import', 'tsx', fixture, dbPath, String(batches), String(batchSize), '5'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.on('exit', (code, signal) => resolve({ code, signal })),
    );

    let runId: string | undefined;
    let seen = 0;
    const deadline = Date.now() + 20_000;
    while (seen < 3 * batchSize) {
      if (child.exitCode !== null) throw new Error(`crash writer exited early (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`crash writer made no progress: stdout=${stdout} stderr=${stderr}`);
      runId ??= /started (\S+)/.exec(stdout)?.[1];
      if (runId) seen = countObservations(dbPath, runId);
      await sleep(10);
    }
    expect(child.exitCode).toBeNull();
    expect(child.kill('SIGKILL')).toBe(true);
    // Wait for the exit so the dead process is reaped: a zombie's pid would still look alive to the lock.
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(stdout).not.toContain('wrote everything');
    const killedRunId = runId!;

    // The dead writer's lock is still there, naming it.
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: child.pid, command: 'collect --crash-fixture' });

    // Only whole batches were committed: each addObservations is one transaction.
    const committed = countObservations(dbPath, killedRunId);
    const lastWrite = lastCollectedAt(dbPath, killedRunId);
    expect(committed).toBeGreaterThanOrEqual(seen);
    expect(committed).toBeLessThan(batches * batchSize);
    expect(committed % batchSize).toBe(0);

    // Read-only verify right after the crash: everything sealed is intact, the killed run is open.
    const reader = openSqliteStore(dbPath, { readonly: true });
    try {
      const report = await reader.verify();
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ ok: true, runsChecked: 2, unsealedRuns: [killedRunId], headHash: sealedBefore[0]!.hash });
      const runs = await reader.runs();
      expect(runs.map((r) => [r.id, r.status, r.observationCount])).toEqual([
        [killedRunId, 'running', committed],
        ...sealedBefore.map((r) => [r.id, r.status, r.observationCount]),
      ]);
      expect(runs.slice(1)).toEqual(sealedBefore);
    } finally {
      await reader.close();
    }

    // The next run takes over the stale lock and seals the killed run as incomplete first.
    const next = openSqliteStore(dbPath);
    try {
      const writer = await next.startRun({ command: 'collect --after-crash', toolVersion: '0.0.0-test', startedAt: new Date() });
      expect(JSON.parse(fs.readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, command: 'collect --after-crash' });

      const whileOpen = await next.runs();
      expect(whileOpen.map((r) => [r.id, r.status])).toEqual([
        [writer.runId, 'running'],
        [killedRunId, 'incomplete'],
        ...sealedBefore.map((r) => [r.id, r.status]),
      ]);
      const killed = whileOpen[1]!;
      expect(killed.observationCount).toBe(committed);
      expect(killed.prevHash).toBe(sealedBefore[0]!.hash);
      expect(killed.hash).toMatch(/^[0-9a-f]{64}$/);
      // Sealed at its last committed write, not at the time of the next start.
      expect(killed.finishedAt).toBe(lastWrite);

      const finished = await writer.finish('complete', new Date());
      expect(finished.prevHash).toBe(killed.hash);
      expect(fs.existsSync(lockPath)).toBe(false);

      const report = await next.verify();
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ ok: true, runsChecked: 4, unsealedRuns: [], headHash: finished.hash });
      expect((await next.runs()).slice(2)).toEqual(sealedBefore);
    } finally {
      await next.close();
    }
  });
});
