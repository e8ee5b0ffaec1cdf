/**
 * Child process of the store benchmark: verifies one store and prints time and peak memory as JSON.
 * Started with `bin/annexa.js`'s node flags (`cliChildArgs`) and with the heap policy the CLI gives
 * `annexa verify` (`holdYoungGeneration`, `compactHeap`), so it measures the command users run.
 */
import { compactHeap, holdYoungGeneration } from '../src/cli/heap.js';

// Held before the store's modules load, as bin/annexa.js does.
holdYoungGeneration();
const { openSqliteStore } = await import('../storage/sqlite-store.js');
const path = process.argv[2];
if (!path) throw new Error('usage: store-verify.ts <store.db>');
compactHeap();
const store = openSqliteStore(path, { readonly: true });
const began = performance.now();
const report = await store.verify();
const ms = performance.now() - began;
await store.close();
if (!report.ok) console.error(JSON.stringify(report.problems.slice(0, 5)));
// maxRSS is in kilobytes.
console.log(JSON.stringify({ ok: report.ok, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, runs: report.runsChecked }));
