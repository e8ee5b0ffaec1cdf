/**
 * Runs the naive baseline (`naive-baseline.ts`) as a child process against the same limited
 * sandbox world as the full collection (same scale, seed and day), counts its requests at the
 * sandbox, extrapolates the sampled per-item calls linearly to every item, and compares it with
 * the real collection's requests and wall time (target: Annexa at least 20 times better on both).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/core/version.js';
import { sandboxTls } from '../src/sandbox/tls.js';
import { awsSandboxCredentials } from '../src/sandbox/aws/server.js';
import { sandboxEntraClientId, sandboxToken, sandboxGoogleKeyVariable } from '../src/demo/sandbox-environment.js';
import type { SandboxApiName } from '../src/demo/sandbox-environment.js';
import { apiNames, startLimitedSandbox } from './limited-sandbox.js';
import type { BenchFigure } from './collection.js';
import type { NaiveInput, NaiveSection } from './naive-baseline.js';

/** What the real collection measured, for the ratios. */
export interface CollectionSummary {
  requests: number;
  seconds: number;
}

/** GitHub's primary budget for a token: 5,000 requests an hour (REST). */
const GITHUB_HOURLY = 5000;

/** The naive baseline over every `sampleEvery`-th item; compares with `ours`. */
export async function baselineBench(dir: string, ours: CollectionSummary | undefined, options: { scale?: number; sampleEvery?: number; day?: Date } = {}): Promise<BenchFigure[]> {
  const scale = options.scale ?? 50;
  const sampleEvery = options.sampleEvery ?? 20;
  const now = options.day ?? new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
  const { env, observers } = await startLimitedSandbox(scale, now);
  try {
    const input: NaiveInput = {
      sampleEvery,
      github: { url: env.github.url, token: sandboxToken, org: env.github.world.org.login },
      aws: { url: env.aws.url, accounts: env.aws.world.accounts.map((a) => a.id), roleName: env.aws.world.roleName, regions: [...env.aws.world.regions], ...awsSandboxCredentials },
      entra: { url: env.entra.url, tenantId: env.entra.world.tenantId, clientId: sandboxEntraClientId, clientSecret: sandboxToken },
      google: { url: env.google.url, key: env.secrets[sandboxGoogleKeyVariable]!, adminEmail: `admin@${env.company.domain}` },
      jira: { url: env.jira.url, token: sandboxToken, project: env.jira.world.project },
      knowbe4: { url: env.knowbe4.url, token: sandboxToken },
    };
    const caFile = join(dir, 'naive-ca.pem');
    writeFileSync(caFile, sandboxTls.cert);
    for (const o of Object.values(observers)) o.reset();
    const began = performance.now();
    const sections = await new Promise<Record<SandboxApiName, NaiveSection>>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot, 'bench/naive-baseline.ts')], {
        cwd: packageRoot,
        env: { ...process.env, ANNEXA_NAIVE_INPUT: JSON.stringify(input), NODE_EXTRA_CA_CERTS: caFile, AWS_ACCESS_KEY_ID: awsSandboxCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: awsSandboxCredentials.secretAccessKey },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => {
        const line = out.trim().split('\n').at(-1) ?? '';
        if (code !== 0 || !line.startsWith('{')) reject(new Error(`naive baseline exited ${code}: ${err.slice(-2000)}`));
        else resolve(JSON.parse(line) as Record<SandboxApiName, NaiveSection>);
      });
    });
    const childSeconds = (performance.now() - began) / 1000;
    const figures: BenchFigure[] = [];
    let naiveRequests = 0;
    let naiveSeconds = 0;
    const notes: string[] = [];
    for (const api of apiNames) {
      const s = sections[api];
      const measured = observers[api].observation().requests;
      const factor = s.sampled > 0 ? s.items / s.sampled : 1;
      let requests = measured + s.perItemCalls * (factor - 1);
      let seconds = s.seconds + s.perItemSeconds * (factor - 1);
      let arithmetic =
        s.sampled > 0
          ? `${api}: ${measured} requests measured (${s.sampled} of ${s.items} items: ${s.perItemCalls} per-item calls in ${s.perItemSeconds.toFixed(1)} s) → ${measured} + ${s.perItemCalls} × (${s.items}/${s.sampled} − 1) = ${Math.round(requests)} requests; ${s.seconds.toFixed(1)} s + ${s.perItemSeconds.toFixed(1)} s × (${s.items}/${s.sampled} − 1) = ${seconds.toFixed(0)} s`
          : `${api}: listings only, ${measured} requests in ${s.seconds.toFixed(1)} s (run in full)`;
      if (api === 'github' && requests > GITHUB_HOURLY) {
        // The script as written fails at request 5,001 with GitHub's 403; one that waited for each reset needs this long at least.
        const floor = (Math.ceil(requests / GITHUB_HOURLY) - 1) * 3600;
        arithmetic += `; over GitHub's ${GITHUB_HOURLY} requests an hour: the script fails with 403 at request ${GITHUB_HOURLY + 1}, and waiting for each reset takes at least (⌈${Math.round(requests)}/${GITHUB_HOURLY}⌉ − 1) h = ${floor} s`;
        seconds = Math.max(seconds, floor);
      }
      if (s.error) arithmetic += `; FAILED: ${s.error}`;
      requests = Math.round(requests);
      naiveRequests += requests;
      naiveSeconds += seconds;
      notes.push(arithmetic);
      figures.push({ group: 'baseline', name: `naive ${api}: requests (extrapolated)`, value: requests, unit: 'requests', note: arithmetic });
      figures.push({ group: 'baseline', name: `naive ${api}: time (extrapolated, sequential)`, value: seconds, unit: 's' });
    }
    const refused = Object.fromEntries(apiNames.map((a) => [a, observers[a].observation().refused]).filter(([, r]) => Object.keys(r as object).length > 0));
    figures.push({ group: 'baseline', name: `naive baseline: total requests (sample: every ${sampleEvery}th item; refused by limits while sampling: ${JSON.stringify(refused)})`, value: naiveRequests, unit: 'requests' });
    figures.push({ group: 'baseline', name: `naive baseline: total time, sequential (APIs run side by side here in ${childSeconds.toFixed(0)} s, times added up)`, value: naiveSeconds, unit: 's' });
    if (ours) {
      figures.push({ group: 'baseline', name: `requests: naive / Annexa (${naiveRequests} / ${ours.requests})`, value: naiveRequests / ours.requests, unit: '×', target: 20, direction: 'min' });
      figures.push({ group: 'baseline', name: `wall time: naive / Annexa (${naiveSeconds.toFixed(0)} s / ${ours.seconds.toFixed(0)} s)`, value: naiveSeconds / ours.seconds, unit: '×', target: 20, direction: 'min' });
    }
    return figures;
  } finally {
    await env.close();
  }
}
