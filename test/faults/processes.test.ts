import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/helpers.js';
import { sandboxToken, startFaultWorld, type FaultWorld } from './harness.js';

/**
 * The real `annexa collect` in a child process against the sandbox (GitHub, Jira, KnowBe4 and the
 * file connectors; `latencyMs` on the APIs keeps it running long enough to interfere with):
 * - SIGKILL mid-collection → `annexa verify` passes, the killed run shows as unsealed and then as
 *   `incomplete`, and the next `collect` succeeds. (test/storage/crash.test.ts kills a bare store
 *   writer at a batch boundary; this is the whole CLI.)
 * - A second `collect` on the same store while the first runs → exit 2 naming the holder's pid
 *   and command; the first completes and the store verifies.
 */

const repoRoot = resolve(import.meta.dirname, '../..');
const apis = ['github', 'jira', 'knowbe4'] as const;

let world: FaultWorld;
let child: ChildProcess | undefined;
const env = { ANNEXA_SANDBOX_TOKEN: sandboxToken };

beforeAll(async () => {
  world = await startFaultWorld();
}, 30_000);
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const api of apis) world.env.faults[api].set({});
});
afterAll(async () => world?.close());

function writeConfig(name: string): { file: string; db: string } {
  const connectors = world.env.connectorEntries().filter((e) => ['github', 'jira', 'knowbe4', 'file'].includes(String(e.type)));
  const file = join(world.dir, `${name}.yaml`);
  writeFileSync(file, stringify({ store: { path: `./${name}.db` }, connectors }));
  return { file, db: join(world.dir, `${name}.db`) };
}

/** `annexa collect` as its own process; resolves with its exit once it ends. */
function spawnCollect(file: string): { process: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const proc = spawn(process.execPath, [join(repoRoot, 'bin/annexa.js'), 'collect', '--config', file], {
    cwd: world.dir,
    env: { ...process.env, ...env, ANNEXA_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  proc.stdout!.resume();
  child = proc;
  return { process: proc, exited: new Promise((done) => proc.on('exit', (code, signal) => done({ code, signal, stderr }))) };
}

async function waitFor(what: string, condition: () => boolean, proc: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (proc.exitCode !== null) throw new Error(`collect exited (${proc.exitCode}) before ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface RunRow {
  id: string;
  status: string;
}
const runsOf = async (file: string) => JSON.parse((await runCli(['runs', '--json', '--config', file], world.dir, env)).stdout) as RunRow[];

describe('annexa collect killed with SIGKILL mid-collection', () => {
  it('leaves a store that verifies, marks the run, and the next collect succeeds', async () => {
    const { file, db } = writeConfig('killed');
    for (const api of apis) world.env.faults[api].set({ latencyMs: 300 });
    const started = world.env.requestCount();
    const { process: proc, exited } = spawnCollect(file);
    // Mid-collection: the lock is held and the APIs have answered a few requests, not all.
    await waitFor('requests under way', () => existsSync(`${db}.lock`) && world.env.requestCount() - started >= 6, proc);
    expect(proc.kill('SIGKILL')).toBe(true);
    expect(await exited).toMatchObject({ code: null, signal: 'SIGKILL' });
    for (const api of apis) world.env.faults[api].set({});

    const verify = await runCli(['verify', '--config', file], world.dir, env);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const [killed] = await runsOf(file);
    expect(killed).toMatchObject({ status: 'running' });

    const next = await runCli(['collect', '--json', '--config', file], world.dir, env);
    expect(next.code, next.stderr).toBe(0);
    expect((JSON.parse(next.stdout) as { status: string }).status).toBe('complete');
    const runs = await runsOf(file);
    expect(runs.map((r) => r.status)).toEqual(['complete', 'incomplete']);
    expect(runs[1]!.id).toBe(killed!.id);
    const after = await runCli(['verify', '--config', file], world.dir, env);
    expect(after.code, after.stdout + after.stderr).toBe(0);
  }, 40_000);
});

describe('two collects on one store at once', () => {
  it('the second exits 2 naming the holder; the first completes and nothing is corrupted', async () => {
    const { file, db } = writeConfig('locked');
    for (const api of apis) world.env.faults[api].set({ latencyMs: 100 });
    const { process: proc, exited } = spawnCollect(file);
    await waitFor('the writer lock', () => existsSync(`${db}.lock`) && readFileSync(`${db}.lock`, 'utf8').length > 0, proc);

    const second = await runCli(['collect', '--config', file], world.dir, env);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`another Annexa process is writing to ${db} (pid ${proc.pid} on `);
    expect(second.stderr).toContain('running "annexa collect --config');
    expect(second.stderr).not.toMatch(/^\s+at /m);

    expect(await exited).toMatchObject({ code: 0, signal: null });
    const runs = await runsOf(file);
    expect(runs.map((r) => r.status)).toEqual(['complete']);
    const verify = await runCli(['verify', '--config', file], world.dir, env);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(existsSync(`${db}.lock`)).toBe(false);
  }, 40_000);
});
