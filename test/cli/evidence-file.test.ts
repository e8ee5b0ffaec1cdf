import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { runCli, tempDir } from './helpers.js';

describe('annexa evidence add, then evidence file', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const config = join(tmp.dir, 'annexa.yaml');
  writeFileSync(config, 'store:\n  path: ./evidence.db\n');
  const content = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 17 }, (_, i) => (i * 31 + 7) % 251));
  writeFileSync(join(tmp.dir, 'minutes.pdf'), content);
  const digest = createHash('sha256').update(content).digest('hex');

  it('round-trips a file byte for byte through the store', async () => {
    const added = await runCli(['evidence', 'add', '--clause', '9.3', '--file', 'minutes.pdf', '--effective', '2026-03-01', '--by', 'ciso', '--json', '--config', config], tmp.dir);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect((JSON.parse(added.stdout) as { evidence: { sha256: string; requirements: string[]; addedBy: string } }).evidence).toMatchObject({ sha256: digest, requirements: ['9.3'], addedBy: 'ciso' });
    const out = await runCli(['evidence', 'file', digest, '--out', 'copy.pdf', '--config', config], tmp.dir);
    expect(out.code).toBe(0);
    expect(readFileSync(join(tmp.dir, 'copy.pdf')).equals(content)).toBe(true);
  });

  it('refuses to overwrite, rejects unknown digests, and leaves no copy of a tampered file', async () => {
    expect((await runCli(['evidence', 'file', digest, '--out', 'copy.pdf', '--config', config], tmp.dir)).code).toBe(2);
    expect((await runCli(['evidence', 'file', 'f'.repeat(64), '--out', 'none.pdf', '--config', config], tmp.dir)).code).toBe(2);
    const db = new Database(join(tmp.dir, 'evidence.db'));
    db.exec('DROP TRIGGER chunks_no_update');
    db.prepare('UPDATE chunks SET data = zeroblob(length(data)) WHERE digest = (SELECT digest FROM chunks ORDER BY digest LIMIT 1)').run();
    db.close();
    const tampered = await runCli(['evidence', 'file', digest, '--out', 'tampered.pdf', '--config', config], tmp.dir);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('modified chunk');
    expect(existsSync(join(tmp.dir, 'tampered.pdf'))).toBe(false);
  });
});
