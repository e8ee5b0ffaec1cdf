import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyntheticCompany } from '../../src/sandbox/company.js';
import { createGithubWorld } from '../../src/sandbox/github/data.js';
import { startGithubSandbox, type GithubSandbox } from '../../src/sandbox/github/server.js';
import { runCli } from '../cli/helpers.js';
import { readZip } from './zip-helpers.js';

/** Secrets planted everywhere a careless export could pick them up. */
const tokenFromEnv = `ghp_${'EnvSecret9x'.repeat(4)}`;
const tokenFromFile = 'file-secret-Qz81-never-export-me';
const envOnlySecret = 'env-only-secret-Lp55-database-password';
const loggedSecret = 'log-line-secret-Vb27-in-a-log-file';

describe('no secrets in the bundle', () => {
  let dir: string;
  let sandbox: GithubSandbox;
  let outputs: string[] = [];
  let entries: Map<string, Buffer>;
  let privatePem: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annexa-secrets-'));
    const now = new Date();
    const world = createGithubWorld(createSyntheticCompany({ scale: 0.3, now, seed: 7 }));
    sandbox = await startGithubSandbox(world, { token: tokenFromEnv });
    writeFileSync(join(dir, 'backup-token'), tokenFromFile + '\n');
    writeFileSync(
      join(dir, 'annexa.yaml'),
      [
        'store: { path: ./evidence.db }',
        'connectors:',
        `  - { id: github-acme, type: github, org: ${world.org.login}, token: "\${GITHUB_TOKEN}", baseUrl: "${sandbox.url}" }`,
        `  - { id: github-backup, type: github, org: ${world.org.login}, token: { file: ./backup-token }, baseUrl: "${sandbox.url}", enabled: false }`,
        '',
      ].join('\n'),
    );
    // A log file next to the config, holding secrets as a careless log would.
    writeFileSync(join(dir, 'annexa.log'), `{"level":"debug","msg":"token ${tokenFromEnv} ${tokenFromFile} ${loggedSecret}"}\n`);
    const keys = generateKeyPairSync('ed25519');
    privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(join(dir, 'annexa-signing.key'), privatePem, { mode: 0o600 });
    const env = { GITHUB_TOKEN: tokenFromEnv, DATABASE_PASSWORD: envOnlySecret, ANNEXA_LOG_LEVEL: 'debug', ANNEXA_DEBUG_NOTE: loggedSecret };
    const today = now.toISOString().slice(0, 10);
    const runs = [
      await runCli(['collect', '--config', 'annexa.yaml'], dir, env),
      await runCli(['check', '--config', 'annexa.yaml'], dir, env),
      await runCli(['bundle', '--config', 'annexa.yaml', '--from', today, '--to', today, '--out', 'bundle.zip', '--key', 'annexa-signing.key', '--sample', 'members:auto', '--seed', 's'], dir, env),
    ];
    outputs = runs.flatMap((r) => [r.stdout, r.stderr]);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    entries = await readZip(join(dir, 'bundle.zip'));
  }, 120_000);

  afterAll(async () => {
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('collected real evidence with the secret token (so the scan below has something to find)', () => {
    expect(sandbox.requestCount()).toBeGreaterThan(10);
    expect(entries.get('populations/members.csv')!.toString().split('\r\n').filter(Boolean).length).toBeGreaterThan(10);
    expect(readFileSync(join(dir, 'annexa.log'), 'utf8')).toContain(tokenFromEnv);
  });

  it('no file of the bundle holds a token, an environment secret, a logged secret or the signing key', () => {
    const pemBody = privatePem.split('\n').slice(1, -2).join('');
    const needles = [tokenFromEnv, tokenFromFile, envOnlySecret, loggedSecret, pemBody, Buffer.from(tokenFromEnv).toString('base64')];
    expect(entries.size).toBeGreaterThan(100);
    for (const [name, bytes] of entries) {
      const text = bytes.toString('utf8');
      for (const needle of needles) expect(text.includes(needle), `${name} contains a secret`).toBe(false);
    }
  });

  it('nor does anything the commands printed', () => {
    for (const output of outputs) {
      for (const needle of [tokenFromEnv, tokenFromFile, envOnlySecret, privatePem.split('\n')[1]!]) expect(output.includes(needle)).toBe(false);
    }
  });
});
