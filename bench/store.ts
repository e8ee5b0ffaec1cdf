/**
 * Store v2 benchmark (`npm run bench -- store`, also part of `npm run bench`): a year of daily runs
 * at sandbox scale 50 (about 10,000 people, 2,000 repositories).
 *
 * Day 1 is a real collection through the pipeline against the sandbox, then a check run, as
 * `annexa run` does. Its records are captured and replayed for the following days straight into
 * the store with an injected clock (a real collection per day would take hours): every request
 * gets a fresh request id and time, as a real API gives. Two stores: one where nothing changes,
 * one where 1% of records change every day. Timings of the reads are taken after 1, 30 and 365
 * runs; `verify` runs in a child process to measure its peak memory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteStore, type SqliteEvidenceStore } from '../storage/sqlite-store.js';
import type { ObservationInput, OutcomeInput } from '../storage/evidence-store.js';
import type { RequestRef } from '../src/core/connector.js';
import { parseConfig } from '../src/config/config.js';
import { connectorRegistry } from '../src/registry.js';
import { checkRegistry } from '../src/checks/registry.js';
import { Redactor } from '../src/core/redact.js';
import type { Clock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { planCollection } from '../src/pipeline/plan.js';
import { runCollection } from '../src/pipeline/collect.js';
import { recordCheckRun } from '../src/pipeline/check-run.js';
import { DAY_MS } from '../src/sandbox/time.js';
import { cliChildArgs } from './cli-child.js';
import { copyStoreAtRest } from './store-copy.js';
import { hashString } from '../src/sandbox/random.js';
import { startSandboxEnvironment, sandboxToken, sandboxTokenVariable } from '../src/demo/sandbox-environment.js';

/** One measured figure; `target` undefined means reported, not judged. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target?: number;
}

interface Captured {
  batches: ObservationInput[][];
  outcome: OutcomeInput;
}

const start = Date.parse('2026-01-01T02:00:00.000Z');
const dayAt = (d: number, ms = 0) => new Date(start + (d - 1) * DAY_MS + ms);

function fixedClock(at: Date): Clock & { set(at: Date): void } {
  let now = at;
  return { now: () => new Date(now.getTime()), sleep: async () => {}, set: (next) => (now = next) };
}

/** The file's size once the write-ahead log is folded in. */
function storeBytes(store: SqliteEvidenceStore): number {
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  return statSync(store.path).size + (existsSync(`${store.path}-wal`) ? statSync(`${store.path}-wal`).size : 0);
}

/** Bytes in use: the file less its free pages (left by records that waited in `pending`, reused later). */
function liveBytes(store: SqliteEvidenceStore): number {
  const pageSize = store.db.pragma('page_size', { simple: true }) as number;
  return ((store.db.pragma('page_count', { simple: true }) as number) - (store.db.pragma('freelist_count', { simple: true }) as number)) * pageSize;
}

/** Bytes per table and its indexes (SQLite's `dbstat`): where an unchanged day's bytes go. */
function bytesByTable(store: SqliteEvidenceStore): Map<string, number> {
  const indexes = new Map((store.db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'").all() as { name: string; tbl_name: string }[]).map((i) => [i.name, i.tbl_name]));
  const out = new Map<string, number>();
  for (const { name, bytes } of store.db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as { name: string; bytes: number }[]) {
    const table = indexes.get(name) ?? name;
    out.set(table, (out.get(table) ?? 0) + bytes);
  }
  return out;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const began = performance.now();
  const value = await fn();
  return [value, performance.now() - began];
}

/** Day 1: the real pipeline against the GitHub sandbox, capturing what it writes. */
async function collectFirstDay(dir: string, scale: number): Promise<{ captured: Captured[]; records: number; requests: number }> {
  const sandbox = await startSandboxEnvironment({ scale, now: dayAt(1) });
  try {
    const config = parseConfig(
      // GitHub only, the figures the README reports (other connectors' fakes add their own records).
      { store: { path: join(dir, 'first.db') }, connectors: sandbox.connectorEntries().filter((e) => e.type === 'github') },
      join(dir, 'annexa.yaml'),
      connectorRegistry,
      { env: { [sandboxTokenVariable]: sandboxToken }, readFile: () => '', redactor: new Redactor() },
      checkRegistry,
    );
    const store = openSqliteStore(config.storePath);
    const byKey = new Map<string, Captured>();
    const key = (o: { instanceId: string; collectorId: string; kind: string }) => `${o.instanceId}/${o.collectorId}/${o.kind}`;
    // A store that passes everything through and keeps a copy of each collection's batches.
    const capturing = Object.create(store) as SqliteEvidenceStore;
    capturing.startRun = async (meta) => {
      const writer = await store.startRun(meta);
      return {
        runId: writer.runId,
        addObservations: async (batch) => {
          for (const o of batch) {
            const k = key(o);
            if (!byKey.has(k)) byKey.set(k, { batches: [[]], outcome: undefined as never });
            byKey.get(k)!.batches[0]!.push(o);
          }
          return writer.addObservations(batch);
        },
        addOutcome: async (o, last = []) => {
          if (!byKey.has(key(o))) byKey.set(key(o), { batches: [[]], outcome: o });
          byKey.get(key(o))!.outcome = o;
          byKey.get(key(o))!.batches[0]!.push(...last);
          return writer.addOutcome(o, last);
        },
        addFile: (c) => writer.addFile(c),
        addCheckResults: (b) => writer.addCheckResults(b),
        finish: (s, f) => writer.finish(s, f),
        abandon: () => writer.abandon(),
      };
    };
    const clock = fixedClock(dayAt(1));
    const result = await runCollection({ plan: planCollection(config), store: capturing, fetch: globalThis.fetch, clock, logger: silentLogger(), redactor: new Redactor(), command: 'bench' });
    if (result.status !== 'complete') throw new Error(`collection at scale ${scale} was ${result.status}`);
    await store.close();
    return { captured: [...byKey.values()], records: result.run.observationCount, requests: sandbox.github.requestCount() };
  } finally {
    await sandbox.close();
  }
}

/** Writes day `d` from the captured collections: fresh request ids and times, `change(record)` applied. */
async function replayDay(store: SqliteEvidenceStore, captured: readonly Captured[], d: number, change: (o: ObservationInput) => unknown): Promise<void> {
  const shift = (d - 1) * DAY_MS;
  // One fresh id and time per request made that day (records of one page share it).
  const fresh = new Map<string, RequestRef>();
  let counter = 0;
  const renew = (r: RequestRef): RequestRef => {
    const key = `${r.method} ${r.url} ${r.requestId} ${r.at}`;
    let next = fresh.get(key);
    if (!next) {
      const seq = ++counter;
      // Responses arrive some tens of milliseconds apart, as from a real API.
      const jitter = seq * 25 + (hashString(`${key} ${d}`) % 25);
      next = { ...r, at: new Date(Date.parse(r.at) + shift + jitter).toISOString(), requestId: `SBX1:${seq.toString(16).padStart(4, '0')}:${hashString(`${r.url} ${d} ${seq}`).toString(16).padStart(8, '0')}` };
      fresh.set(key, next);
    }
    return next;
  };
  const writer = await store.startRun({ command: 'bench (replayed day)', toolVersion: 'bench', startedAt: dayAt(d) });
  for (const { batches, outcome } of captured) {
    for (const batch of batches) {
      for (let i = 0; i < batch.length; i += 5000) {
        await writer.addObservations(
          batch.slice(i, i + 5000).map((o) => ({
            ...o,
            payload: change(o),
            collectedAt: new Date(o.collectedAt.getTime() + shift),
            provenance: { ...o.provenance, requests: o.provenance.requests.map(renew) },
          })),
        );
      }
    }
    await writer.addOutcome({ ...outcome, startedAt: new Date(outcome.startedAt.getTime() + shift), finishedAt: new Date(outcome.finishedAt.getTime() + shift) });
  }
  await writer.finish('complete', dayAt(d, 60_000));
}

async function checkRun(store: SqliteEvidenceStore, d: number): Promise<void> {
  const clock = fixedClock(dayAt(d, 120_000));
  await recordCheckRun({ store, checks: checkRegistry, connectors: connectorRegistry, params: {}, asOf: clock.now(), clock, command: 'bench check' });
}

/** Peak memory and time of `verify` in a fresh process started as `annexa verify` is (see store-verify.ts). */
function verifyInChild(path: string): { ok: boolean; ms: number; maxRssMb: number; runs: number } {
  const out = execFileSync(process.execPath, cliChildArgs([join(import.meta.dirname, 'store-verify.ts'), path]), { encoding: 'utf8' });
  return JSON.parse(out) as { ok: boolean; ms: number; maxRssMb: number; runs: number };
}

/**
 * The reads the targets name, timed in a fresh process as the CLI runs them (`store-read-times.ts`,
 * with the node flags `bin/annexa.js` starts with): this process holds the captured day and a large
 * heap, whose garbage collections would be timed too. Six calls of each; the first also compiles
 * the code it runs and is reported beside the figure; the figure is the median of the other five,
 * because one timing on a shared machine is noise.
 */
async function timeReads({ scenario: label, file, asOf }: StoreCheckpoint, results: BenchResult[]): Promise<void> {
  const out = execFileSync(process.execPath, cliChildArgs([join(import.meta.dirname, 'store-read-times.ts'), file, asOf, '6']), { encoding: 'utf8' });
  const times = JSON.parse(out.trim().split('\n').at(-1)!) as { runs: number; coverage: number[]; list: number[]; listRecords: number; check: number[] };
  const warm = (ms: number[]) => [...ms.slice(1)].sort((a, b) => a - b)[Math.floor((ms.length - 1) / 2)]!;
  const about = (ms: number[]) => `${times.runs} run(s); median of ${ms.length - 1} calls after a first of ${ms[0]} ms`;
  results.push({ name: `${label}: coverage --as-of, ${about(times.coverage)}`, value: warm(times.coverage), unit: 'ms', target: 300 });
  results.push({ name: `${label}: list github.member.v1 as of a date (${times.listRecords} records), ${about(times.list)}`, value: warm(times.list), unit: 'ms', target: 300 });
  results.push({ name: `${label}: check (evaluate and record), ${about(times.check)}`, value: warm(times.check), unit: 'ms', target: 300 });
}

/** A store as it was after some daily runs, and the date its reads are timed as of (mid-period). */
interface StoreCheckpoint {
  scenario: string;
  file: string;
  asOf: string;
}

/**
 * The `store-reads` part: times the reads on the checkpoint copies the `store` part kept in
 * `checkpointsDir` (so the slow part that builds a year can run on a busy machine, and the timings
 * on a quiet one).
 */
export async function storeReadsBench(checkpointsDir: string): Promise<BenchResult[]> {
  const manifest = join(checkpointsDir, 'checkpoints.json');
  if (!existsSync(manifest)) throw new Error(`no stores to time in ${checkpointsDir}: run the store part first (npm run bench -- --only store)`);
  const results: BenchResult[] = [];
  for (const checkpoint of JSON.parse(readFileSync(manifest, 'utf8')) as StoreCheckpoint[]) await timeReads(checkpoint, results);
  return results;
}

/** Runs the store benchmark in `dir`; `days` defaults to 365 (ANNEXA_BENCH_DAYS overrides). */
export async function storeBench(
  dir: string,
  options: {
    scale?: number;
    days?: number;
    scenarios?: readonly ('unchanged' | 'changing')[];
    onResult?: (r: BenchResult) => void;
    /** Keep a copy of the store at each checkpoint here for {@link storeReadsBench} instead of timing reads now. */
    checkpointsDir?: string;
  } = {},
): Promise<BenchResult[]> {
  const scale = options.scale ?? 50;
  const days = options.days ?? 365;
  const results: BenchResult[] = [];
  // Long runs: report each figure as it is measured.
  const push = results.push.bind(results);
  results.push = (...items: BenchResult[]) => {
    for (const item of items) options.onResult?.(item);
    return push(...items);
  };
  const [{ captured, records, requests }, collectMs] = await timed(() => collectFirstDay(dir, scale));
  results.push({ name: `scale ${scale}: day-1 GitHub collection through the pipeline (${records} records, ${requests} requests)`, value: collectMs, unit: 'ms' });
  const checkpoints = [1, 30, 365].filter((n) => n <= days);
  const checkpoints_: StoreCheckpoint[] = [];
  if (options.checkpointsDir) {
    rmSync(options.checkpointsDir, { recursive: true, force: true });
    mkdirSync(options.checkpointsDir, { recursive: true });
  }

  for (const scenario of options.scenarios ?? (['unchanged', 'changing'] as const)) {
    const path = join(dir, `${scenario}.db`);
    let store = openSqliteStore(path);
    // Changing: each day 1% of records (a different 1% each day) get a new revision, kept from then on.
    const revisions = new Map<string, number>();
    let changed = 0;
    const payloadOn = (d: number) => (o: ObservationInput) => {
      if (scenario === 'unchanged') return o.payload;
      const key = `${o.kind} ${o.subject}`;
      if (d > 1 && hashString(`${key} ${d}`) % 100 === 0) {
        revisions.set(key, d);
        changed++;
      }
      const revision = revisions.get(key);
      return revision === undefined ? o.payload : { ...(o.payload as object), benchRevision: revision };
    };
    let firstBytes = 0;
    let firstTables = new Map<string, number>();
    const [, writeMs] = await timed(async () => {
      for (let d = 1; d <= days; d++) {
        await replayDay(store, captured, d, payloadOn(d));
        await checkRun(store, d);
        if (!checkpoints.includes(d)) continue;
        const bytes = storeBytes(store);
        const live = liveBytes(store);
        if (d === 1) {
          firstBytes = bytes;
          firstTables = bytesByTable(store);
          results.push({ name: `${scenario}: store size after day 1 (collection + check run); in use ${(live / 1e6).toFixed(2)} MB`, value: bytes / 1e6, unit: 'MB' });
        } else {
          results.push({ name: `${scenario}: store size after ${d} daily runs; in use ${(live / 1e6).toFixed(2)} MB`, value: bytes / 1e6, unit: 'MB' });
          if (scenario === 'unchanged') {
            results.push({ name: `unchanged: growth per day, days 2-${d}`, value: (bytes - firstBytes) / (d - 1) / 1e3, unit: 'KB' });
            const packed = store.db.prepare('SELECT SUM(length(data)) FROM packed_blobs').pluck().get() as number;
            results.push({ name: `unchanged: of which the day's requests (ids, times; deflated), per day`, value: packed / d / 1e3, unit: 'KB' });
            if (d === 365) results.push({ name: 'unchanged: size after 365 days / size after day 1', value: bytes / firstBytes, unit: '×', target: 1.5 });
            if (d === checkpoints.at(-1)) {
              // Where the growth went, per table with its indexes (pages, so free space in them counts).
              const grown = [...bytesByTable(store)].map(([table, b]) => [table, b - (firstTables.get(table) ?? 0)] as const).filter(([, b]) => b > 0);
              for (const [table, b] of grown.sort((x, y) => y[1] - x[1]).slice(0, 8)) {
                results.push({ name: `unchanged: growth per day in ${table} (with its indexes), days 2-${d}`, value: b / (d - 1) / 1e3, unit: 'KB' });
              }
            }
          } else {
            results.push({ name: `changing: bytes per changed record, days 2-${d} (${changed} changes)`, value: (bytes - firstBytes) / changed, unit: 'B' });
          }
        }
        await store.close();
        const checkpoint = { scenario, file: path, asOf: new Date(dayAt(Math.ceil(d / 2)).getTime() + 600_000).toISOString() };
        if (options.checkpointsDir) {
          // A copy to time reads on later (`store-reads`), on a machine as quiet as can be had.
          checkpoint.file = join(options.checkpointsDir, `${scenario}-day-${d}.db`);
          copyStoreAtRest(path, checkpoint.file);
          checkpoints_.push(checkpoint);
          writeFileSync(join(options.checkpointsDir, 'checkpoints.json'), `${JSON.stringify(checkpoints_, null, 2)}\n`);
        } else {
          await timeReads(checkpoint, results);
        }
        store = openSqliteStore(path);
      }
    });
    results.push({ name: `${scenario}: writing ${days} daily runs (collection replay + check run each)`, value: writeMs / 1000, unit: 's' });
    await store.close();
    const verify = verifyInChild(path);
    if (!verify.ok) throw new Error(`${scenario} store does not verify`);
    results.push({ name: `${scenario}: verify of ${verify.runs} runs`, value: verify.ms / 1000, unit: 's' });
    results.push({ name: `${scenario}: verify peak RSS`, value: verify.maxRssMb, unit: 'MB' });
  }
  return results;
}


/** `npx tsx bench/store.ts [scale] [days] [unchanged|changing]`: the store benchmark alone (one scenario or both). */
if (import.meta.url === `file://${process.argv[1]}`) {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'annexa-bench-store-'));
  try {
    const print = (r: BenchResult) =>
      console.log(`${r.target === undefined ? '    ' : r.value <= r.target ? 'ok  ' : 'MISS'}  ${r.name}: ${Math.round(r.value * 100) / 100} ${r.unit}${r.target === undefined ? '' : ` (target ≤ ${r.target})`}`);
    const scenario = process.argv[4] as 'unchanged' | 'changing' | undefined;
    await storeBench(dir, { scale: Number(process.argv[2] ?? 50), days: Number(process.argv[3] ?? 365), ...(scenario ? { scenarios: [scenario] } : {}), onResult: print });
  } finally {
    if (process.env.ANNEXA_BENCH_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
