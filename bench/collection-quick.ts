/**
 * A quick look at the collection's memory, for iterating on it (not part of `npm run bench`):
 * the sandbox at scale 50 without latency or limits, `annexa collect` compiled and run as a child
 * as `collection.ts` runs it, printing its peak RSS and CPU time (about 3 minutes, most of it the
 * CloudTrail pacing).
 *
 *   npx tsx bench/collection-quick.ts [scale]
 *   ANNEXA_QUICK_MAINS=a/src/cli/main.js,b/src/cli/main.js npx tsx bench/collection-quick.ts
 *
 * `ANNEXA_QUICK_MAINS`: compiled CLIs to run side by side against one sandbox (say, main's and a
 * branch's), each into its own store, so their evidence can be compared on the same world and
 * the same time windows. `ANNEXA_QUICK_NODE_OPTIONS`: NODE_OPTIONS for the children (an
 * `--import` of a sampler, `--heapsnapshot-signal=SIGUSR2`). The stores stay in the temporary
 * folder printed, for comparing, each beside its child's stderr (`collection-<n>.stderr`: the log,
 * at the level ANNEXA_LOG_LEVEL gives the child, `silent` unless a sampler sets it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { packageRoot } from '../src/core/version.js';
import { startSandboxEnvironment } from '../src/demo/sandbox-environment.js';
import { collectInChild, collectionChildEnv } from './collection.js';

const scale = Number(process.argv[2] ?? 50);
let mains = process.env.ANNEXA_QUICK_MAINS?.split(',');
let outDir: string | undefined;
if (!mains) {
  outDir = join(packageRoot, '.bench-quick-dist');
  execFileSync(process.execPath, [join(packageRoot, 'node_modules/typescript/bin/tsc'), '-p', join(packageRoot, 'tsconfig.build.json'), '--outDir', outDir], { cwd: packageRoot, stdio: 'inherit' });
  mains = [join(outDir, 'src/cli/main.js')];
}
const dir = mkdtempSync(join(tmpdir(), 'annexa-quick-'));
const env = await startSandboxEnvironment({ scale, now: new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z') });
try {
  const childEnv = collectionChildEnv(dir, env.secrets, { NODE_OPTIONS: process.env.ANNEXA_QUICK_NODE_OPTIONS ?? '' });
  await Promise.all(
    mains.map(async (main, i) => {
      const configPath = join(dir, `collection-${i}.yaml`);
      const store = join(dir, `collection-${i}.db`);
      writeFileSync(configPath, stringify({ store: { path: store }, connectors: env.connectorEntries() }));
      const child = await collectInChild(configPath, childEnv, [], main);
      console.log(`${main}: exit ${child.code}, ${child.seconds.toFixed(1)} s, CPU ${child.cpuSeconds.toFixed(1)} s, peak RSS ${child.rssMb.toFixed(0)} MB, store ${store}`);
      writeFileSync(join(dir, `collection-${i}.stderr`), child.stderr);
      if (child.code !== 0) console.log(child.stderr.slice(-3000));
    }),
  );
} finally {
  await env.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
}
