import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/canonical.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { openSqliteStore } from '../../storage/sqlite-store.js';
import { runCli } from '../cli/helpers.js';
import { buildPeriodStore } from './fixture.js';
import { readZip } from './zip-helpers.js';

describe('annexa keys generate, bundle and sample on the command line', () => {
  let dir: string;
  let soaPath: string;
  const store = () => ['--store', join(dir, 'evidence.db')];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annexa-bundle-cli-'));
    const s = openSqliteStore(join(dir, 'evidence.db'));
    ({ soaPath } = await buildPeriodStore(s, dir));
    await s.close();
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keys generate writes an Ed25519 pair (private key 0600) and never overwrites', async () => {
    const result = await runCli(['keys', 'generate', '--out', 'signing'], dir);
    expect(result.code).toBe(0);
    expect(statSync(join(dir, 'signing.key')).mode & 0o777).toBe(0o600);
    const privateKey = createPrivateKey(readFileSync(join(dir, 'signing.key')));
    expect(privateKey.asymmetricKeyType).toBe('ed25519');
    const fingerprint = `sha256:${sha256Hex(createPublicKey(readFileSync(join(dir, 'signing.pub'))).export({ type: 'spki', format: 'der' }))}`;
    expect(result.stdout).toContain(`Fingerprint: ${fingerprint}`);
    expect(result.stdout).not.toContain(readFileSync(join(dir, 'signing.key'), 'utf8').split('\n')[1]);
    const again = await runCli(['keys', 'generate', '--out', 'signing'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('bundle writes a signed zip that verifies, names controls without evidence, and never overwrites', async () => {
    const args = ['bundle', ...store(), '--soa', soaPath, '--from', '2026-03-01', '--to', '2026-03-10', '--controls', '5.17,8.8', '--out', 'b.zip', '--key', 'signing.key'];
    const result = await runCli(args, dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Bundle .*b\.zip: \d+ files, \d+ bytes, 2 requirements, 2026-03-01 to 2026-03-10/);
    expect(result.stdout).toContain('No evidence in the period for 1 applicable requirement(s): A.8.8');
    const report = await verifyBundle(join(dir, 'b.zip'), createPublicKey(readFileSync(join(dir, 'signing.pub'))));
    expect(report.ok).toBe(true);
    expect([...(await readZip(join(dir, 'b.zip'))).keys()].filter((n) => n.endsWith('control.json')).sort()).toEqual(['controls/A.5.17/control.json', 'controls/A.8.8/control.json']);
    const again = await runCli(args, dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('bundle refuses a missing key, an unknown control and a sample without a seed', async () => {
    const base = ['bundle', ...store(), '--from', '2026-03-01', '--to', '2026-03-10'];
    expect((await runCli([...base, '--out', 'x.zip'], dir)).stderr).toContain('--key <file> is required');
    expect((await runCli([...base, '--out', 'x.zip', '--key', 'signing.key', '--controls', '5.99'], dir)).stderr).toContain('unknown requirement id(s) A.5.99');
    expect((await runCli([...base, '--out', 'x.zip', '--key', 'signing.key', '--sample', 'merged-prs:2'], dir)).stderr).toContain('--sample needs --seed');
    expect((await runCli([...base, '--out', 'x.zip', '--key', 'missing.key'], dir)).stderr).toMatch(/--key \S*missing\.key: not a readable PEM private key \(ENOENT\)/);
    expect(existsSync(join(dir, 'x.zip'))).toBe(false);
  });

  it('sample draws the same ids as the bundle, from a population with the same digest', async () => {
    const result = await runCli(['sample', ...store(), '--population', 'merged-prs', '--from', '2026-03-01', '--to', '2026-03-10', '--size', 'auto', '--seed', 'audit-7', '--json'], dir);
    expect(result.code).toBe(0);
    const sample = JSON.parse(result.stdout) as { ids: string[]; size: number; populationSize: number; populationSha256: string };
    expect(sample).toMatchObject({ size: 2, populationSize: 2 });
    const bundled = await runCli(
      ['bundle', ...store(), '--from', '2026-03-01', '--to', '2026-03-10', '--controls', '8.32', '--out', 's.zip', '--key', 'signing.key', '--sample', 'merged-prs:auto', '--seed', 'audit-7'],
      dir,
    );
    expect(bundled.code).toBe(0);
    const entries = await readZip(join(dir, 's.zip'));
    expect(sha256Hex(entries.get('populations/merged-prs.csv')!)).toBe(sample.populationSha256);
    expect(JSON.parse(entries.get('samples/merged-prs.json')!.toString()).ids).toEqual(sample.ids);
    const text = await runCli(['sample', ...store(), '--population', 'merged-prs', '--from', '2026-03-01', '--to', '2026-03-10', '--size', '1', '--seed', 'audit-7'], dir);
    expect(text.stdout).toContain(`1 of 2 (seed "audit-7")`);
    expect(text.stdout).toContain(sample.ids[0]);
    expect((await runCli(['sample', ...store(), '--population', 'nope', '--from', '2026-03-01', '--to', '2026-03-10', '--size', '1', '--seed', 'x'], dir)).code).toBe(2);
  });
});
