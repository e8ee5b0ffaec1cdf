import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/bundle/verify.js';
import { openZip } from '../../src/bundle/zip.js';
import type { SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { runCli } from '../cli/helpers.js';
import { buildFixtureBundle } from './fixture.js';
import { readZip, writeZipEntries } from './zip-helpers.js';

describe('annexa verify <bundle.zip> --public-key', () => {
  let dir: string;
  let store: SqliteEvidenceStore;
  let bundle: string;
  let publicKeyFile: string;
  let entries: Map<string, Buffer>;
  const target = 'controls/A.8.5/checks/github.members.have_2fa.results.csv';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annexa-verify-bundle-'));
    const built = await buildFixtureBundle(dir);
    store = built.store;
    bundle = built.out;
    publicKeyFile = built.publicKeyFile;
    entries = await readZip(bundle);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Re-packs the bundle with a change, as someone editing it after signing would. */
  async function tampered(name: string, change: (entries: Map<string, Buffer>) => void): Promise<string> {
    const copy = new Map(entries);
    change(copy);
    const file = join(dir, `${name}.zip`);
    await writeZipEntries(file, copy);
    return file;
  }

  it('prints what it verified and exits 0 on the untouched bundle', async () => {
    const result = await runCli(['verify', bundle, '--public-key', publicKeyFile], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const files = entries.size - 4;
    expect(result.stdout).toContain(`OK: ${bundle}`);
    expect(result.stdout).toContain('signatures of manifest.json and SHA256SUMS verified with public key sha256:');
    expect(result.stdout).toContain(`${files} files (`);
    expect(result.stdout).toContain('none missing, none added');
    expect(result.stdout).toContain('period 2026-03-01 to 2026-03-10; evidence store chain head ');
  });

  it('a changed byte: exit 5 naming the file', async () => {
    const file = await tampered('changed-byte', (e) => {
      const bytes = Buffer.from(e.get(target)!);
      bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x01;
      e.set(target, bytes);
    });
    const result = await runCli(['verify', file, '--public-key', publicKeyFile], dir);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain(`TAMPERED ${target}: ${target}: sha256 `);
    expect(result.stdout).toContain('FAILED: 1 problem(s)');
  });

  it('a changed byte inside the zip file itself (no re-packing): exit 5 naming the file', async () => {
    const zip = await openZip(bundle);
    const names = zip.entries.map((e) => e.name);
    zip.close();
    const raw = Buffer.from(readFileSync(bundle));
    // The local header of an entry: signature, then the name at offset 30; its data follows the name and extra field.
    const name = 'timeline.json';
    const header = raw.indexOf(Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04])]), raw.indexOf(Buffer.from(name)) - 40);
    const nameLength = raw.readUInt16LE(header + 26);
    const extraLength = raw.readUInt16LE(header + 28);
    const data = header + 30 + nameLength + extraLength;
    expect(raw.subarray(header + 30, header + 30 + nameLength).toString()).toBe(name);
    raw[data + 20] = raw[data + 20]! ^ 0xff;
    const file = join(dir, 'flipped.zip');
    writeFileSync(file, raw);
    const result = await runCli(['verify', file, '--public-key', publicKeyFile], dir);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain(`TAMPERED ${name}:`);
    expect(names).toContain(name);
  });

  it('a removed file: exit 5 naming it', async () => {
    const file = await tampered('removed', (e) => e.delete(target));
    const result = await runCli(['verify', file, '--public-key', publicKeyFile], dir);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain(`TAMPERED ${target}: ${target} is listed in the manifest but missing from the bundle`);
  });

  it('an added file: exit 5 naming it', async () => {
    const file = await tampered('added', (e) => e.set('controls/A.8.5/extra-screenshot.png', Buffer.from('not from annexa')));
    const result = await runCli(['verify', file, '--public-key', publicKeyFile], dir);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain('TAMPERED controls/A.8.5/extra-screenshot.png: controls/A.8.5/extra-screenshot.png is in the bundle but not in the manifest');
  });

  it('an edited manifest (a digest replaced to cover an edit): the signature fails, exit 5 naming manifest.json', async () => {
    const file = await tampered('manifest', (e) => {
      const manifest = JSON.parse(e.get('manifest.json')!.toString()) as { files: { path: string; sha256: string }[] };
      const edited = Buffer.from(e.get(target)!.toString().replace('pass', 'fail'));
      e.set(target, edited);
      manifest.files.find((f) => f.path === target)!.sha256 = createHash('sha256').update(edited).digest('hex');
      e.set('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
    });
    const result = await runCli(['verify', file, '--public-key', publicKeyFile], dir);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain('TAMPERED manifest.json: manifest.sig does not verify manifest.json under public key');
    expect(result.stdout).toContain('TAMPERED SHA256SUMS: SHA256SUMS does not list exactly the manifest');
  });

  it('a wrong public key: exit 5 naming the signed files', async () => {
    const other = join(dir, 'other.pub');
    writeFileSync(other, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const result = await runCli(['verify', bundle, '--public-key', other], dir);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain('TAMPERED manifest.json: manifest.sig does not verify manifest.json');
    expect(result.stdout).toContain('TAMPERED SHA256SUMS: SHA256SUMS.sig does not verify SHA256SUMS');
    const report = await verifyBundle(bundle, generateKeyPairSync('ed25519').publicKey);
    expect(report.problems.map((p) => p.problem)).toEqual(['signature_invalid', 'signature_invalid']);
  });

  it('a missing signature: exit 5 naming it', async () => {
    const file = await tampered('unsigned', (e) => e.delete('manifest.sig'));
    const result = await runCli(['verify', file, '--public-key', publicKeyFile], dir);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain('TAMPERED manifest.sig: manifest.sig is missing from the bundle');
  });

  it('a truncated zip: exit 5 naming the bundle; a missing bundle is a usage error', async () => {
    const file = join(dir, 'truncated.zip');
    writeFileSync(file, readFileSync(bundle).subarray(0, 4000));
    const result = await runCli(['verify', file, '--public-key', publicKeyFile], dir);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain(`TAMPERED truncated.zip: ${file} is not a readable zip`);
    expect((await runCli(['verify', join(dir, 'nope.zip'), '--public-key', publicKeyFile], dir)).code).toBe(2);
  });

  it('is a usage error without --public-key, and for a key that is not Ed25519', async () => {
    expect((await runCli(['verify', bundle], dir)).code).toBe(2);
    const rsa = join(dir, 'rsa.pub');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
    const result = await runCli(['verify', bundle, '--public-key', rsa], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected an Ed25519 key, found rsa');
  });

  it('verifies with standard tools alone, running exactly the commands in the bundle README', async () => {
    const { execFileSync } = await import('node:child_process');
    const work = join(dir, 'auditor');
    const folder = join(work, 'bundle');
    mkdirSync(folder, { recursive: true });
    copyFileSync(publicKeyFile, join(work, 'annexa-signing.pub'));
    for (const [name, bytes] of entries) {
      mkdirSync(join(folder, name, '..'), { recursive: true });
      writeFileSync(join(folder, name), bytes);
    }
    const readme = entries.get('README.txt')!.toString();
    const section = readme.slice(readme.indexOf('HOW TO VERIFY WITH STANDARD TOOLS'), readme.indexOf('Or, with Annexa'));
    const commands = section.split('\n').filter((l) => /^ {3}(openssl|sha256sum|find|cut) /.test(l)).map((l) => l.trim());
    expect(commands).toHaveLength(5);
    const run = (command: string) => execFileSync('bash', ['-o', 'pipefail', '-c', command], { cwd: folder, encoding: 'utf8' });
    expect(run(commands[0]!)).toContain('Signature Verified Successfully');
    expect(run(commands[1]!)).toContain('Signature Verified Successfully');
    const checked = run(commands[2]!).trim().split('\n');
    expect(checked).toHaveLength(entries.size - 3);
    expect(checked.every((l) => l.endsWith(': OK'))).toBe(true);
    run(commands[3]!);
    expect(run(commands[4]!)).toBe('');
    // The same commands catch an edit and an added file.
    writeFileSync(join(folder, target), 'edited');
    expect(() => run(commands[2]!)).toThrow();
    writeFileSync(join(folder, 'added.txt'), 'x');
    run(commands[3]!);
    let diff = '';
    try {
      run(commands[4]!);
    } catch (error) {
      diff = (error as { stdout: string }).stdout;
    }
    expect(diff).toMatch(/^\d+a\d+\n> added\.txt\n$/);
    // And the record-digest one-liner from the README recomputes a stored digest.
    const digestLine = readme.split('\n').find((l) => l.trim().startsWith("python3 -c 'import hashlib"))!.trim();
    const [computed, stored] = run(digestLine).trim().split(' ');
    expect(computed).toMatch(/^[0-9a-f]{64}$/);
    expect(computed).toBe(stored);
  });
});
