import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { addManualEvidence, loadManualEvidence, manualEvidenceKind } from '../../src/pipeline/manual-evidence.js';
import { loadFramework } from '../../src/frameworks/framework.js';
import { UsageError } from '../../src/core/errors.js';
import type { RunInfo } from '../../storage/evidence-store.js';
import type { SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { fixedClock, tempStore } from './store-helpers.js';

/** `annexa evidence add`: a large file streamed into chunked storage, tamper-evident, dated. */

const { catalog } = loadFramework();
const fileSize = 12 * 1024 * 1024 + 12_345;
const chunkSize = 1024 * 1024;

/** Deterministic pseudo-random bytes (xorshift32), so every chunk differs. */
function seededBytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

describe('addManualEvidence with a ~12 MB file', () => {
  let store: SqliteEvidenceStore;
  let storePath: string;
  let cleanup: () => Promise<void>;
  let dir: string;
  let bytes: Buffer;
  let file: string;
  let run: RunInfo;
  const clock = fixedClock(new Date('2026-02-01T09:00:00.000Z'));

  beforeAll(async () => {
    ({ store, cleanup, dir, path: storePath } = tempStore('annexa-manual-'));
    bytes = seededBytes(fileSize, 27001);
    file = join(dir, 'Information Security Policy.pdf');
    writeFileSync(file, bytes);
    ({ run } = await addManualEvidence({
      store,
      catalog,
      file,
      requirements: ['A.5.1', '5.2', 'A.5.1'],
      effective: '2026-01-15',
      expires: '2027-01-15',
      note: 'approved by the board',
      addedBy: 'ciso@acme.example',
      clock,
      command: 'annexa evidence add --file policy.pdf',
    }));
  });
  afterAll(async () => cleanup());

  it('seals a complete run with one manual.document.v1 record describing the file', async () => {
    expect(run.status).toBe('complete');
    expect(run.observationCount).toBe(1);
    expect(run.command).toBe('annexa evidence add --file policy.pdf');
    const records = await store.records(manualEvidenceKind);
    expect(records).toHaveLength(1);
    const [record] = records;
    const digest = sha256(readFileSync(file));
    expect(record!.runId).toBe(run.id);
    expect(record!.instanceId).toBe('manual');
    expect(record!.subject).toBe(`Information Security Policy.pdf@${digest.slice(0, 12)}`);
    expect(record!.attachment).toBe(digest);
    expect(record!.collectedAt).toBe('2026-02-01T09:00:00.000Z');
    expect(record!.payload).toEqual({
      framework: 'iso27001-2022',
      requirements: ['A.5.1', '5.2'],
      fileName: 'Information Security Policy.pdf',
      sha256: digest,
      size: fileSize,
      mediaType: 'application/pdf',
      effective: '2026-01-15',
      expires: '2027-01-15',
      note: 'approved by the board',
      addedBy: 'ciso@acme.example',
    });
  });

  it('stores the file under its sha256 and reads back identical bytes in 1 MiB chunks', async () => {
    const digest = sha256(bytes);
    const pieces: Uint8Array[] = [];
    for await (const piece of store.readFile(digest)) pieces.push(piece);
    expect(pieces).toHaveLength(Math.ceil(fileSize / chunkSize));
    expect(pieces).toHaveLength(13);
    expect(pieces.slice(0, -1).every((p) => p.byteLength === chunkSize)).toBe(true);
    expect(pieces.at(-1)!.byteLength).toBe(12_345);
    const joined = Buffer.concat(pieces);
    expect(joined.length).toBe(fileSize);
    expect(joined.equals(bytes)).toBe(true);
    expect(sha256(joined)).toBe(digest);
  });

  it('verifies clean, then reports file_hash_mismatch naming the kind and run when one chunk byte changes', async () => {
    const clean = await store.verify();
    expect(clean.problems).toEqual([]);
    expect(clean.ok).toBe(true);

    const digest = sha256(bytes);
    const db = new Database(storePath);
    try {
      for (const name of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[]) db.exec(`DROP TRIGGER ${name}`);
      const fileRow = db.prepare('SELECT chunks FROM files WHERE digest = ?').get(digest) as { chunks: string };
      const third = (JSON.parse(fileRow.chunks) as string[])[2]!;
      const data = Buffer.from((db.prepare('SELECT data FROM chunks WHERE digest = ?').get(third) as { data: Buffer }).data);
      data[500] = data[500]! ^ 0x01;
      expect(db.prepare('UPDATE chunks SET data = ? WHERE digest = ?').run(data, third).changes).toBe(1);
    } finally {
      db.close();
    }

    const report = await store.verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ problem: 'file_hash_mismatch', digest, runId: run.id, kind: manualEvidenceKind });
    expect(report.problems[0]!.message).toContain(manualEvidenceKind);
    expect(report.problems[0]!.message).toContain(run.id);

    // Reading the file back refuses the modified chunk rather than returning altered bytes.
    await expect(async () => {
      for await (const piece of store.readFile(digest)) void piece;
    }).rejects.toThrow(/modified chunk/);
  });
});

describe('addManualEvidence validation and dating', () => {
  let store: SqliteEvidenceStore;
  let cleanup: () => Promise<void>;
  let dir: string;
  beforeAll(() => {
    ({ store, cleanup, dir } = tempStore('annexa-manual-'));
  });
  afterAll(async () => cleanup());

  const add = (file: string, overrides: { requirements?: string[]; effective?: string; expires?: string }, at: Date) =>
    addManualEvidence({
      store,
      catalog,
      file,
      requirements: overrides.requirements ?? ['A.5.1'],
      effective: overrides.effective ?? '2026-01-01',
      expires: overrides.expires,
      addedBy: 'tester',
      clock: fixedClock(at),
      command: 'test',
    });

  it('rejects an unknown requirement id or an expiry not after the effective date, leaving no run behind', async () => {
    const file = join(dir, 'minutes.md');
    writeFileSync(file, '# Management review minutes\n');
    const before = await store.runs();
    const at = new Date('2026-02-01T00:00:00.000Z');

    const unknown = add(file, { requirements: ['A.5.1', 'A.9.2.1'] }, at);
    await expect(unknown).rejects.toBeInstanceOf(UsageError);
    await expect(add(file, { requirements: ['A.9.2.1'] }, at)).rejects.toThrow(/unknown requirement id\(s\) A\.9\.2\.1/);
    await expect(add(file, { effective: '2026-03-01', expires: '2026-02-01' }, at)).rejects.toThrow(
      /--expires 2026-02-01 must be after --effective 2026-03-01/,
    );
    await expect(add(file, { effective: '2026-03-01', expires: '2026-03-01' }, at)).rejects.toBeInstanceOf(UsageError);
    await expect(add(file, { effective: '15/01/2026' }, at)).rejects.toBeInstanceOf(UsageError);
    // Not a calendar day (Date.parse alone would roll it over to March 2).
    await expect(add(file, { effective: '2026-02-30' }, at)).rejects.toThrow(/--effective 2026-02-30: expected a date/);
    await expect(add(file, { expires: '2026-04-31' }, at)).rejects.toThrow(/--expires 2026-04-31: expected a date/);
    await expect(add(file, { requirements: [] }, at)).rejects.toBeInstanceOf(UsageError);
    await expect(add(join(dir, 'nope.pdf'), {}, at)).rejects.toBeInstanceOf(UsageError);

    expect(await store.runs()).toEqual(before);
    // Nothing was left locked: a valid add goes through.
    const { run } = await add(file, { requirements: ['9.3'] }, at);
    expect(run.status).toBe('complete');
    expect((await store.runs()).length).toBe(before.length + 1);
  });

  it('loadManualEvidence returns the files added up to as-of, with their dates', async () => {
    const first = join(dir, 'policy.md');
    const second = join(dir, 'audit.txt');
    writeFileSync(first, 'policy v1\n');
    writeFileSync(second, 'internal audit report\n');
    await add(first, { requirements: ['A.5.1', '5.2'], effective: '2026-01-10', expires: '2027-01-10' }, new Date('2026-03-01T10:00:00.000Z'));
    await add(second, { requirements: ['9.2'], effective: '2026-02-20' }, new Date('2026-03-05T10:00:00.000Z'));

    const between = await loadManualEvidence(store, new Date('2026-03-03T00:00:00.000Z'));
    expect(between.map((m) => m.fileName)).toEqual(['minutes.md', 'policy.md']);
    expect(between[1]).toEqual({
      requirements: ['A.5.1', '5.2'],
      digest: sha256('policy v1\n'),
      fileName: 'policy.md',
      size: 10,
      effective: '2026-01-10',
      expires: '2027-01-10',
      note: null,
      addedBy: 'tester',
      addedAt: '2026-03-01T10:00:00.000Z',
    });
    const after = await loadManualEvidence(store, new Date('2026-03-05T10:00:00.000Z'));
    expect(after.map((m) => [m.fileName, m.requirements, m.expires])).toEqual([
      ['minutes.md', ['9.3'], null],
      ['policy.md', ['A.5.1', '5.2'], '2027-01-10'],
      ['audit.txt', ['9.2'], null],
    ]);
    expect(after[2]!.digest).toBe(sha256('internal audit report\n'));
    expect(await loadManualEvidence(store, new Date('2026-01-31T23:59:59.999Z'))).toEqual([]);
  });
});
