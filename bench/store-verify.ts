/** Child process of the store benchmark: verifies one store and prints time and peak memory as JSON. */
import { openSqliteStore } from '../storage/sqlite-store.js';

const path = process.argv[2];
if (!path) throw new Error('usage: store-verify.ts <store.db>');
const store = openSqliteStore(path, { readonly: true });
const began = performance.now();
const report = await store.verify();
const ms = performance.now() - began;
await store.close();
if (!report.ok) console.error(JSON.stringify(report.problems.slice(0, 5)));
// maxRSS is in kilobytes.
console.log(JSON.stringify({ ok: report.ok, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, runs: report.runsChecked }));
