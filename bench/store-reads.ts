/**
 * Cold reads on a store the store benchmark kept (`ANNEXA_BENCH_KEEP=1 npx tsx bench/store.ts`):
 * `npx tsx bench/store-reads.ts <store.db>`. Each read runs on a freshly opened read-only store,
 * as of day 1, 30, 182 and 365, to show that what a read costs does not depend on the runs kept.
 * Then `annexa check` (evaluate and record a check run) as of the last day, five times, each on a
 * fresh copy of the store (it writes), with the median: timings on a shared machine are noisy.
 */
import { copyStoreAtRest, removeStoreCopy } from './store-copy.js';
import { openSqliteStore, type SqliteEvidenceStore } from '../storage/sqlite-store.js';
import { recordCheckRun } from '../src/pipeline/check-run.js';
import { assembleCoverage } from '../src/pipeline/coverage-run.js';
import { evaluateChecks } from '../src/checks/run-checks.js';
import { checkRegistry } from '../src/checks/registry.js';
import { connectorRegistry } from '../src/registry.js';
import { DAY_MS } from '../src/sandbox/time.js';

const path = process.argv[2];
if (!path) throw new Error('usage: store-reads.ts <store.db>');
const start = Date.parse('2026-01-01T02:00:00.000Z');
const member = 'github.member.v1';
const pullRequest = 'github.merged_pull_request.v1';

async function cold<T>(read: (store: SqliteEvidenceStore) => Promise<T>): Promise<[T, number]> {
  const store = openSqliteStore(path!, { readonly: true });
  try {
    const began = performance.now();
    const value = await read(store);
    return [value, Math.round(performance.now() - began)];
  } finally {
    await store.close();
  }
}

for (const day of [1, 30, 182, 365]) {
  const asOf = new Date(start + (day - 1) * DAY_MS + 600_000);
  const [members, listMs] = await cold(async (s) => (await s.latest(member, { asOf }))[0]!.records);
  const [prs, prMs] = await cold(async (s) => (await s.latest(pullRequest, { asOf }))[0]!.records.length);
  const [, evaluateMs] = await cold((s) => evaluateChecks({ store: s, checks: checkRegistry, connectors: connectorRegistry, asOf }));
  const [, coverageMs] = await cold((s) => assembleCoverage({ store: s, soaPath: null, checkParams: {}, asOf, now: asOf }));
  const [history, historyMs] = await cold((s) => s.history(member, members[7]!.subject));
  console.log(
    `as of day ${day}: list ${member} (${members.length}) ${listMs} ms; list ${pullRequest} (${prs}) ${prMs} ms; evaluate checks ${evaluateMs} ms; ` +
      `coverage ${coverageMs} ms; history of one member (${history.length} records) ${historyMs} ms`,
  );
}
const [population, populationMs] = await cold((s) => s.population(pullRequest, { since: new Date(start), until: new Date(start + 365 * DAY_MS) }));
console.log(`population of ${pullRequest} over the year: ${population.length} record versions, ${populationMs} ms`);
const [changes, changesMs] = await cold(async (s) => {
  const collections = (await s.runs()).filter((r) => r.command.startsWith('bench (replayed'));
  return s.changesBetween(collections.at(-1)!.id, collections[0]!.id);
});
console.log(`changes between the first and the last collection: ${changes.length}, ${changesMs} ms`);

const checkTimes: number[] = [];
const lastDay = new Date(start + 364 * DAY_MS + 600_000);
for (let i = 0; i < 5; i++) {
  const copy = `${path}.check-copy.db`;
  copyStoreAtRest(path, copy);
  const store = openSqliteStore(copy);
  try {
    const clock = { now: () => lastDay, sleep: async () => {} };
    const began = performance.now();
    await recordCheckRun({ store, checks: checkRegistry, connectors: connectorRegistry, params: {}, asOf: lastDay, clock, command: 'bench check' });
    checkTimes.push(Math.round(performance.now() - began));
  } finally {
    await store.close();
    removeStoreCopy(copy);
  }
}
console.log(`check (evaluate and record) as of day 365, on a copy: ${checkTimes.join(', ')} ms; median ${[...checkTimes].sort((a, b) => a - b)[2]} ms`);
