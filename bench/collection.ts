/**
 * Full-collection benchmark: every connector against the sandbox at scale 50 (10,000 people),
 * 50 ms per request and each API's documented limits enforced (`src/sandbox/api-limits.ts`).
 * The sandbox runs in this process; `annexa collect` runs as a child process with a config file
 * pointing at it, so its peak RSS is the collection's alone (`process.resourceUsage().maxRSS`).
 *
 * Per API: requests against the README formula evaluated on the same world (target ≤ 1.1×), and
 * the time from its first request to its last answer against a lower bound (target ≤ 1.25×):
 *
 *   bound = max(chain × t, R × t / C, rate bound)
 *
 * where t is the API's mean time per request as measured at the server (the 50 ms latency plus
 * the fake's own handling, which shares this machine's CPU), chain the longest run of requests
 * that must follow one another (cursor pages, or a poll; requests a collector happens to send one
 * after another but that need nothing from each other are not a chain), R the formula's requests, C the
 * concurrency the API allows (GitHub 100; the others document none, so R × t / C is 0), and the
 * rate bound what the API's rate limits allow for R requests. The whole collection is bounded by
 * the slowest API (connectors run in parallel).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { packageRoot } from '../src/core/version.js';
import { cliChildArgs, cliMainScript } from './cli-child.js';
import { sandboxTls } from '../src/sandbox/tls.js';
import { awsSandboxCredentials } from '../src/sandbox/aws/server.js';
import type { SandboxEnvironment, SandboxApiName } from '../src/demo/sandbox-environment.js';
import { expectedAwsRequests } from './aws.js';
import { LATENCY_MS, apiNames, startLimitedSandbox, type ApiObservation } from './limited-sandbox.js';

/** One figure of the benchmark table. */
export interface BenchFigure {
  /** Table section (`collection`, `baseline`, `store`, ...). */
  group: string;
  name: string;
  value: number;
  unit: string;
  /** Absent: reported, not judged. */
  target?: number;
  /** `max` (default): value ≤ target passes; `min`: value ≥ target passes. */
  direction?: 'max' | 'min';
  /** How the figure was derived (arithmetic), shown under the table. */
  note?: string;
}

const DAY = 86_400_000;
const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));

/** The README's minimum per API, with the chain of sequential requests and the rate bound (s). */
export interface ApiMinimum {
  requests: number;
  /** Longest run of requests that must be sequential. */
  chain: number;
  chainWhat: string;
  /** Requests the API allows in flight; Infinity when it documents no limit. */
  concurrency: number;
  /** Seconds the API's rate limits need for the minimum's requests at least. */
  rateSeconds: number;
  rateWhat: string;
}

/** Evaluates each connector's README request formula on the sandbox world. */
export function apiMinimums(env: SandboxEnvironment): Record<SandboxApiName, ApiMinimum> {
  const g = env.github.world;
  const now = Date.parse(g.now);
  const owners = g.members.filter((m) => m.role === 'admin').length;
  const members = g.members.length;
  const n = g.repositories.length;
  const since = now - 90 * DAY;
  const repos = new Map(g.repositories.map((r) => [r.name, r]));
  const byRepo = new Map<string, number>();
  for (const pr of g.pullRequests) {
    const repo = repos.get(pr.repository);
    if (repo && pr.baseRefName === repo.defaultBranch && Date.parse(pr.mergedAt) >= since) byRepo.set(repo.name, (byRepo.get(repo.name) ?? 0) + 1);
  }
  const pushed = g.repositories.filter((r) => Date.parse(r.pushedAt) >= since);
  const p = pushed.reduce((s, r) => s + pages(byRepo.get(r.name) ?? 0, 50), 0);
  // Pull-request pages depend only on their own repository's previous page: the longest such run is the chain, not the number of batches.
  const longestPrChain = pushed.reduce((m, r) => Math.max(m, pages(byRepo.get(r.name) ?? 0, 50)), 0);
  const collaborators = new Map<string, number>();
  for (const c of g.outsideCollaborators) for (const a of c.access) collaborators.set(a.repository, (collaborators.get(a.repository) ?? 0) + 1);
  const overflow = [...collaborators.values()].reduce((s, c) => s + (c > 100 ? Math.ceil((c - 100) / 100) : 0), 0);
  const githubRequests =
    1 + pages(owners, 100) + pages(members - owners, 100) + pages(g.members.filter((m) => !m.twoFactorEnabled).length, 100) + pages(g.members.filter((m) => m.twoFactorEnabled && m.twoFactorInsecure).length, 100) +
    pages(g.outsideCollaborators.length, 100) + pages(g.outsideCollaborators.filter((c) => !c.twoFactorEnabled).length, 100) +
    pages(n, 100) + overflow + pages(n, 100) + Math.min(5, n) + Math.ceil(p / 50) + pages(g.dependabotAlerts.filter((a) => a.state === 'open').length, 100);

  const aws = env.aws.world;
  const awsRequests = expectedAwsRequests(aws, aws.regions).total;
  // LookupEvents: 2 per second per account and region; the busiest pair sets the bound.
  let lookupMax = 0;
  let lookupWhat = '';
  for (const account of aws.accounts) {
    for (const region of aws.regions) {
      const inRegion = account.events.filter((e) => e.region === region && e.time >= aws.now - 30 * DAY);
      const k = pages(inRegion.filter((e) => e.source === 'iam.amazonaws.com').length, 50) + pages(inRegion.filter((e) => e.name === 'ConsoleLogin').length, 50);
      if (k > lookupMax) [lookupMax, lookupWhat] = [k, `${account.id}/${region}`];
    }
  }

  const e = env.entra.world;
  const u = e.users.length;
  const instances = e.reviews.reduce((s, r) => s + r.instances.length, 0);
  const entraRequests = 2 + pages(u, 500) + pages(u, 999) + 1 + 3 + 1 + Math.ceil(e.reviews.length / 20) + Math.ceil(instances / 20) + pages(e.devices.length, 999);

  const go = env.google.world;
  const events = go.loginEvents.filter((x) => Date.parse(x.id.time) >= now - 30 * DAY).length;
  const googleRequests = 1 + pages(go.users.length, 500) + 2 + pages(events, 1000);

  const j = env.jira.world;
  const jiraRequests = pages(j.issues.length, 100) + 1 + Math.ceil(j.accounts.length / 1000) + 1;

  const k = env.knowbe4.world;
  const kb4Lists = [k.users.length, k.campaigns.length, k.enrollments.length, k.phishingTests.length];
  const kb4Requests = kb4Lists.reduce((s, c) => s + Math.floor(c / 500) + 1, 0);

  return {
    github: {
      requests: githubRequests,
      chain: pages(n, 100) + longestPrChain,
      chainWhat: `${pages(n, 100)} repository pages then the busiest repository's pull-request pages (${longestPrChain}; the ${Math.ceil(p / 50)} batches of 50 repositories do not depend on one another)`,
      concurrency: 100,
      // 2,000 GraphQL points and 900 REST points a minute: far above these counts.
      rateSeconds: 0,
      rateWhat: 'within 900 REST / 2,000 GraphQL points per minute and 5,000 an hour',
    },
    aws: {
      requests: awsRequests,
      chain: lookupMax,
      chainWhat: `${lookupMax} LookupEvents pages in ${lookupWhat}`,
      concurrency: Infinity,
      rateSeconds: Math.floor((lookupMax - 1) / 2),
      rateWhat: `${lookupMax} LookupEvents in ${lookupWhat} at 2 per second: ⌊(${lookupMax}−1)/2⌋ s`,
    },
    entra: { requests: entraRequests, chain: 2 + pages(u, 500), chainWhat: `OpenID configuration, token (the token request needs the configuration's endpoint), then ${pages(u, 500)} user pages`, concurrency: Infinity, rateSeconds: 0, rateWhat: 'within 8,000 units per 10 s' },
    google: { requests: googleRequests, chain: 1 + pages(events, 1000), chainWhat: `token then ${pages(events, 1000)} login-event pages`, concurrency: Infinity, rateSeconds: 0, rateWhat: 'within 2,400 queries per minute' },
    jira: { requests: jiraRequests, chain: pages(j.issues.length, 100) + 1, chainWhat: `${pages(j.issues.length, 100)} search pages then a changelog`, concurrency: Infinity, rateSeconds: 0, rateWhat: 'no limit modelled' },
    knowbe4: {
      requests: kb4Requests,
      chain: Math.max(...kb4Lists.map((c) => Math.floor(c / 500) + 1)),
      chainWhat: `${Math.max(...kb4Lists.map((c) => Math.floor(c / 500) + 1))} enrollment pages`,
      concurrency: Infinity,
      rateSeconds: Math.floor((kb4Requests - 1) / 4),
      rateWhat: `${kb4Requests} requests at 4 per second: ⌊(${kb4Requests}−1)/4⌋ s`,
    },
  };
}

/** The lower bound of one API's span in seconds, with its arithmetic. */
export function lowerBound(min: ApiMinimum, o: ApiObservation): { seconds: number; arithmetic: string } {
  const admitted = o.requests - Object.values(o.refused).reduce((s, c) => s + c, 0);
  const t = admitted > 0 ? o.busyMs / admitted / 1000 : LATENCY_MS / 1000;
  const chain = min.chain * t;
  const throughput = Number.isFinite(min.concurrency) ? (min.requests * t) / min.concurrency : 0;
  const rate = min.rateSeconds + (min.rateSeconds > 0 ? t : 0);
  const seconds = Math.max(chain, throughput, rate);
  const fmt = (x: number) => x.toFixed(2);
  return {
    seconds,
    arithmetic:
      `t = ${(t * 1000).toFixed(0)} ms per request at the server; chain ${min.chain} × t = ${fmt(chain)} s (${min.chainWhat}); ` +
      `throughput ${min.requests} × t / ${Number.isFinite(min.concurrency) ? min.concurrency : '∞'} = ${fmt(throughput)} s; rate ${fmt(rate)} s (${min.rateWhat}) → ${fmt(seconds)} s`,
  };
}

/**
 * The environment of an `annexa collect` child against the sandbox: the sandbox's secrets and AWS
 * keys, silent logs, and trust in the sandbox's certificate (written to `dir`: the Entra sandbox
 * serves HTTPS with its own), without the caller's AWS session or profile.
 */
export function collectionChildEnv(dir: string, secrets: Readonly<Record<string, string>>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const caFile = join(dir, 'sandbox-ca.pem');
  writeFileSync(caFile, sandboxTls.cert);
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    AWS_ACCESS_KEY_ID: awsSandboxCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: awsSandboxCredentials.secretAccessKey,
    NODE_EXTRA_CA_CERTS: caFile,
    ANNEXA_LOG_LEVEL: 'silent',
    ...extra,
  };
  delete childEnv.AWS_SESSION_TOKEN;
  delete childEnv.AWS_PROFILE;
  return childEnv;
}

/**
 * Runs `annexa collect` in a child process, started with `bin/annexa.js`'s node flags as the
 * installed command is; resolves with its exit code, wall seconds and peak RSS.
 * `mainModule`: the CLI entry, compiled (`.js`, as the container image runs it) or the TypeScript
 * source (run through tsx, as a checkout does).
 */
export function collectInChild(
  configPath: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
  mainModule = join(packageRoot, 'src/cli/main.ts'),
): Promise<{ code: number; seconds: number; rssMb: number; cpuSeconds: number; stdout: string; stderr: string; cpu: CpuTimeline }> {
  const script = cliMainScript(['--config', configPath, 'collect', ...args], mainModule);
  const began = performance.now();
  return new Promise((resolve, reject) => {
    // Async spawn: the sandbox answering the child lives in this process's event loop.
    const child = spawn(process.execPath, cliChildArgs(['--input-type=module', '-e', script], { typescript: mainModule.endsWith('.ts') }), { cwd: packageRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const cpu = sampleCpu(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const usage = /MAXRSS (\d+) CPU (\d+)/.exec(stderr);
      // maxRSS is in kilobytes, CPU time in microseconds.
      resolve({ code: code ?? 1, seconds: (performance.now() - began) / 1000, rssMb: Number(usage?.[1] ?? NaN) / 1024, cpuSeconds: Number(usage?.[2] ?? NaN) / 1e6, stdout, stderr, cpu: cpu.stop() });
    });
  });
}

/**
 * CPU-seconds used so far by the collection child and by this process (the sandbox's APIs, their
 * latency timers and limits), sampled every 100 ms: what the machine's cores were busy with while
 * an API's requests ran. Empty where `/proc` is missing.
 */
export interface CpuTimeline {
  /** `rssMb`: the child's resident memory at that moment (field 24 of /proc/<pid>/stat, 4 KiB pages). */
  samples: { at: number; child: number; sandbox: number; rssMb: number }[];
  /** CPU-seconds the two processes used between two `performance.now()` times, interpolated. */
  between(from: number, to: number): number;
}

function sampleCpu(pid: number | undefined): { stop(): CpuTimeline } {
  const samples: CpuTimeline['samples'] = [];
  // utime and stime, the 14th and 15th fields of /proc/<pid>/stat, in clock ticks (100 a second on Linux).
  const childStat = (): { cpu: number; rssMb: number } | undefined => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return { cpu: (Number(fields[11]) + Number(fields[12])) / 100, rssMb: (Number(fields[21]) * 4096) / 2 ** 20 };
    } catch {
      return undefined;
    }
  };
  const take = () => {
    const stat = childStat();
    if (stat === undefined) return;
    const own = process.cpuUsage();
    samples.push({ at: performance.now(), child: stat.cpu, sandbox: (own.user + own.system) / 1e6, rssMb: stat.rssMb });
  };
  take();
  const timer = setInterval(take, 100);
  return {
    stop: () => {
      clearInterval(timer);
      const used = (s: CpuTimeline['samples'][number]) => s.child + s.sandbox;
      // Both processes' CPU-seconds at `at`, interpolated between the samples around it.
      const total = (at: number): number => {
        if (samples.length === 0) return 0;
        const i = samples.findIndex((s) => s.at >= at);
        if (i === -1) return used(samples.at(-1)!);
        if (i === 0) return used(samples[0]!);
        const [a, b] = [samples[i - 1]!, samples[i]!];
        return used(a) + ((at - a.at) / (b.at - a.at)) * (used(b) - used(a));
      };
      return { samples, between: (from, to) => total(to) - total(from) };
    },
  };
}

/**
 * How busy the machine was while one API's requests ran: the CPU-seconds the collection and the
 * sandbox used in its span, and their share of cores × span. They share the cores, and a span over
 * which both kept every core busy was set by CPU, not by the request schedule.
 */
function coresBusy(cpu: CpuTimeline, o: ApiObservation): { cpuSeconds: number; cores: number; share: number } {
  const cores = availableParallelism();
  if (o.firstAt === undefined || o.lastAt === undefined) return { cpuSeconds: 0, cores, share: 0 };
  const cpuSeconds = cpu.between(o.firstAt, o.lastAt);
  return { cpuSeconds, cores, share: cpuSeconds / cores / Math.max((o.lastAt - o.firstAt) / 1000, 0.001) };
}

/**
 * Compiles the CLI as the container image does (`tsc -p tsconfig.build.json`) into a folder of
 * the checkout (so `node_modules` and `packageRoot` resolve) and returns its entry point.
 */
function buildCli(): { main: string; remove: () => void } {
  const outDir = join(packageRoot, '.bench-dist');
  execFileSync(process.execPath, [join(packageRoot, 'node_modules/typescript/bin/tsc'), '-p', join(packageRoot, 'tsconfig.build.json'), '--outDir', outDir], { cwd: packageRoot, stdio: 'inherit' });
  return { main: join(outDir, 'src/cli/main.js'), remove: () => rmSync(outDir, { recursive: true, force: true }) };
}

/** The connector type of each sandbox API (the config's `type`). */
const connectorTypeOf: Record<SandboxApiName, string> = { github: 'github', aws: 'aws', entra: 'microsoft-graph', google: 'google-workspace', jira: 'jira', knowbe4: 'knowbe4' };

/**
 * Each API but AWS collected alone (its connector the only one in the config), against the same
 * world, limits and latency: the span against the same bound, without the other connectors
 * sharing the collection's event loop and the machine's two cores. AWS alone would take its
 * CloudTrail pacing again (4-5 minutes) and its full-collection row already shows it.
 */
async function aloneFigures(
  env: SandboxEnvironment,
  observers: Record<SandboxApiName, { reset(): void; observation(): ApiObservation }>,
  minimums: Record<SandboxApiName, ApiMinimum>,
  dir: string,
  mainModule: string | undefined,
): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  for (const api of apiNames.filter((a) => a !== 'aws')) {
    const configPath = join(dir, `alone-${api}.yaml`);
    const connectors = (env.connectorEntries() as { type: string }[]).filter((e) => e.type === connectorTypeOf[api]);
    writeFileSync(configPath, stringify({ store: { path: join(dir, `alone-${api}.db`) }, connectors }));
    for (const o of Object.values(observers)) o.reset();
    const child = await collectInChild(configPath, collectionChildEnv(dir, env.secrets), [], mainModule);
    if (child.code !== 0) throw new Error(`annexa collect with ${api} alone exited ${child.code}: ${child.stderr.slice(-2000)}`);
    const o = observers[api].observation();
    const span = ((o.lastAt ?? 0) - (o.firstAt ?? 0)) / 1000;
    const bound = lowerBound(minimums[api], o);
    const busy = coresBusy(child.cpu, o);
    figures.push({
      group: 'collection',
      name: `${api} alone: time / lower bound (${span.toFixed(1)} s / ${bound.seconds.toFixed(1)} s, ${o.requests} requests, peak ${o.peakInFlight} in flight, idle ${(o.idleMs / 1000).toFixed(1)} s; CPU of the child ${child.cpuSeconds.toFixed(1)} s in ${child.seconds.toFixed(1)} s; cores ${(busy.share * 100).toFixed(0)}% busy in the span)`,
      value: span / Math.max(bound.seconds, 0.001),
      unit: '×',
      target: 1.25,
      note: `${api} alone: ${bound.arithmetic}`,
    });
  }
  return figures;
}

/**
 * The full-collection scenario for `npm run bench` (3–5 minutes, most of it CloudTrail pacing).
 * The child runs the compiled CLI, as deployed; `ANNEXA_BENCH_TSX=1` runs the sources through tsx.
 */
export async function collectionBench(dir: string, scale = 50): Promise<{ figures: BenchFigure[]; summary: { requests: number; seconds: number } }> {
  const now = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
  const cli = process.env.ANNEXA_BENCH_TSX ? undefined : buildCli();
  const { env, observers } = await startLimitedSandbox(scale, now);
  const figures: BenchFigure[] = [];
  try {
    const configPath = join(dir, 'collection.yaml');
    writeFileSync(configPath, stringify({ store: { path: join(dir, 'collection.db') }, connectors: env.connectorEntries() }));
    const childEnv = collectionChildEnv(dir, env.secrets);
    for (const o of Object.values(observers)) o.reset();
    const child = await collectInChild(configPath, childEnv, [], cli?.main);
    // A partial run (exit 3) is a result too: it is reported, with what failed, and judged.
    const failed = child.stdout.split('\n').filter((l) => /failed|error/i.test(l)).slice(0, 5).join('; ');
    figures.push({ group: 'collection', name: `\`annexa collect\` exit code (0 complete, 3 partial${failed ? `: ${failed.replaceAll(/\s+/g, ' ').slice(0, 300)}` : ''})`, value: child.code, unit: '', target: 0 });
    if (child.code !== 0 && child.code !== 3) throw new Error(`annexa collect at scale ${scale} exited ${child.code}: ${child.stderr.slice(-2000)}`);
    const minimums = apiMinimums(env);
    let slowestBound = 0;
    let slowestApi = '';
    for (const api of apiNames) {
      const o = observers[api].observation();
      const min = minimums[api];
      figures.push({
        group: 'collection',
        name: `${api}: requests / README minimum (${o.requests} / ${min.requests}${Object.keys(o.refused).length ? `; refused by limits: ${JSON.stringify(o.refused)}` : ''})`,
        value: o.requests / min.requests,
        unit: '×',
        target: 1.1,
      });
      const span = ((o.lastAt ?? 0) - (o.firstAt ?? 0)) / 1000;
      const bound = lowerBound(min, o);
      if (bound.seconds > slowestBound) [slowestBound, slowestApi] = [bound.seconds, api];
      const busy = coresBusy(child.cpu, o);
      figures.push({
        group: 'collection',
        name: `${api}: time / lower bound (${span.toFixed(1)} s / ${bound.seconds.toFixed(1)} s, peak ${o.peakInFlight} in flight, idle ${(o.idleMs / 1000).toFixed(1)} s, longest ${(o.longestIdle.ms / 1000).toFixed(1)} s at +${(o.longestIdle.at / 1000).toFixed(1)} s; cores ${(busy.share * 100).toFixed(0)}% busy)`,
        value: span / Math.max(bound.seconds, 0.001),
        unit: '×',
        target: 1.25,
        note: `${api}: ${bound.arithmetic}; cores busy: the collection and the sandbox used ${busy.cpuSeconds.toFixed(1)} CPU-s in the ${span.toFixed(1)} s span, ${busy.cpuSeconds.toFixed(1)} / (${busy.cores} cores × ${span.toFixed(1)} s) = ${(busy.share * 100).toFixed(0)}%`,
      });
    }
    const people = env.company.people.length;
    const total = Object.values(observers).reduce((s, o) => s + o.observation().requests, 0);
    figures.push({
      group: 'collection',
      name: `full collection wall time / lower bound (${child.seconds.toFixed(1)} s / ${slowestBound.toFixed(1)} s; ${people} people, ${env.github.world.repositories.length} repositories, ${total} requests)`,
      value: child.seconds / slowestBound,
      unit: '×',
      target: 1.25,
      note: `whole collection: the connectors run in parallel, so the bound is the slowest API's (${slowestApi}, ${slowestBound.toFixed(1)} s); the wall time includes starting Node and tsx in the child.`,
    });
    figures.push({ group: 'collection', name: 'full collection: total requests', value: total, unit: 'requests' });
    figures.push({ group: 'collection', name: 'full collection: wall time', value: child.seconds, unit: 's' });
    figures.push({ group: 'collection', name: `full collection: CPU time of the collection process (${((child.cpuSeconds / child.seconds) * 100).toFixed(0)}% of one core over its wall time)`, value: child.cpuSeconds, unit: 's' });
    const rssPeak = child.cpu.samples.reduce((top, x) => (x.rssMb > top.rssMb ? x : top), { at: NaN, rssMb: 0 });
    const rssWhen = Number.isNaN(rssPeak.at) ? '' : `; sampled every 100 ms, highest ${rssPeak.rssMb.toFixed(0)} MB at +${((rssPeak.at - (child.cpu.samples[0]?.at ?? 0)) / 1000).toFixed(1)} s of ${child.seconds.toFixed(0)} s`;
    figures.push({ group: 'collection', name: `peak RSS of the collection process (\`annexa collect\`, child, ${cli ? 'compiled CLI' : 'sources through tsx'}${rssWhen})`, value: child.rssMb, unit: 'MB', target: 256 });
    figures.push(...(await aloneFigures(env, observers, minimums, dir, cli?.main)));
    return { figures, summary: { requests: total, seconds: child.seconds } };
  } finally {
    await env.close();
    cli?.remove();
  }
}
