/**
 * Child process of the store benchmark: times the reads the targets name on one store, in a fresh
 * process as the CLI runs them (the benchmark's own process holds a year of captured records and a
 * large heap, which would be timed too). Each read runs `rounds` times on a freshly opened store;
 * `check` (evaluate and record a check run) writes, so each of its rounds runs on a copy of the
 * store. Prints `{ runs, coverage: ms[], list: ms[], listRecords, check: ms[] }` as JSON; the first
 * round of each includes compiling the code it runs (a one-off CLI call pays that too).
 */
import { copyStoreAtRest, removeStoreCopy } from './store-copy.js';
import { openSqliteStore } from '../storage/sqlite-store.js';
import { recordCheckRun } from '../src/pipeline/check-run.js';
import { assembleCoverage } from '../src/pipeline/coverage-run.js';
import { checkRegistry } from '../src/checks/registry.js';
import { connectorRegistry } from '../src/registry.js';

const [path, asOfText, roundsText] = process.argv.slice(2);
if (!path || !asOfText) throw new Error('usage: store-read-times.ts <store.db> <as-of ISO date> [rounds]');
const asOf = new Date(asOfText);
const rounds = Number(roundsText ?? 3);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const began = performance.now();
  await fn();
  return Math.round(performance.now() - began);
}

const reader = openSqliteStore(path, { readonly: true });
const runs = (await reader.runs()).length;
await reader.close();

const coverage: number[] = [];
const list: number[] = [];
const check: number[] = [];
let listRecords = 0;
for (let round = 0; round < rounds; round++) {
  const store = openSqliteStore(path, { readonly: true });
  coverage.push(await timed(() => assembleCoverage({ store, soaPath: null, checkParams: {}, asOf, now: asOf })));
  await store.close();
  // Listing on a store of its own, so nothing the coverage read is cached.
  const lister = openSqliteStore(path, { readonly: true });
  list.push(await timed(async () => (listRecords = (await lister.latest('github.member.v1', { asOf }))[0]?.records.length ?? 0)));
  await lister.close();
  const copy = `${path}.check-copy.db`;
  copyStoreAtRest(path, copy);
  const writable = openSqliteStore(copy, { mapForReading: true }); // as `annexa check` opens it
  try {
    const clock = { now: () => asOf, sleep: async () => {} };
    check.push(await timed(() => recordCheckRun({ store: writable, checks: checkRegistry, connectors: connectorRegistry, params: {}, asOf, clock, command: 'bench check' })));
  } finally {
    await writable.close();
    removeStoreCopy(copy);
  }
}
console.log(JSON.stringify({ runs, coverage, list, listRecords, check }));
