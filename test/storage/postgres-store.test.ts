import path from 'node:path';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openPostgresStore } from '../../storage/postgres-store.js';
import { openSqliteStore } from '../../storage/sqlite-store.js';
import { copyStore } from '../../storage/copy-store.js';
import { appendOnlyTriggersSql, grantsSql, postgresAppendOnlyTables, postgresMigrations } from '../../storage/postgres-schema.js';
import { runCli } from '../cli/helpers.js';
import { testDatabase } from './postgres-helpers.js';
import { makeTempDir, observation, outcome, writeRun } from './helpers.js';

const database = await testDatabase('pgstore');
const tmp = makeTempDir('annexa-pgstore-');
afterAll(async () => {
  await database?.drop();
  tmp.cleanup();
});

const member = 'test.member.v1';
const day = (n: number) => new Date(Date.UTC(2024, 0, n));
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
const people = (n: number, changed = -1) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`user-${i}`, { login: `user-${i}`, mfa: i !== changed }]));

async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe.skipIf(!database)('PostgreSQL store specifics', () => {
  it('upgrades a store at migration 1 (store schema 2) to the latest migrations: it keeps working and verifying, check_runs append-only', async () => {
    const url = await database!.freshSchema();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // What a schema-2 Annexa left: migration 1 and its triggers.
      await client.query('BEGIN');
      await client.query(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)`);
      await client.query(postgresMigrations[0]!.sql);
      await client.query(appendOnlyTriggersSql(postgresMigrations[0]!.appendOnly));
      await client.query(`INSERT INTO schema_migrations VALUES (1, $1, '2024-01-01T00:00:00Z')`, [postgresMigrations[0]!.description]);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    const store = await openPostgresStore(url);
    try {
      expect((await sql<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version)).toEqual(postgresMigrations.map((m) => m.version));
      const run = await writeRun(store, day(1), [{ kind: member, records: people(3) }]);
      const writer = await store.startRun({ command: 'check', toolVersion: '0.0.0-test', startedAt: day(2) });
      await writer.addCheckResults([{ checkId: 'test.mfa', instanceId: 'test-acme', subject: 'user-0', status: 'pass', message: 'ok', asOf: day(2), evidence: { read: run.id } }]);
      const checks = await writer.finish('complete', day(2));
      expect((await store.checkResults()).map((r) => [r.runId, r.subject, r.status])).toEqual([[checks.id, 'user-0', 'pass']]);
      expect(await store.verify()).toMatchObject({ ok: true, runsChecked: 2, headHash: checks.hash, problems: [] });
      await expect(sql(url, 'DELETE FROM check_runs')).rejects.toThrow(/append-only/);
    } finally {
      await store.close();
    }
  });

  it('applies versioned migrations once, under a lock, when several processes open a new store at once', async () => {
    const url = await database!.freshSchema();
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(url)));
    for (const store of stores) await store.close();
    expect(await sql(url, 'SELECT version, description FROM schema_migrations ORDER BY version')).toEqual(postgresMigrations.map(({ version, description }) => ({ version, description })));
    expect(postgresMigrations[0]).toMatchObject({ version: 1, description: 'evidence store v2 tables, append-only triggers' });
    // A second open changes nothing (and needs only SELECT).
    await (await openPostgresStore(url)).close();
    expect(await sql(url, 'SELECT COUNT(*)::int AS n FROM schema_migrations')).toEqual([{ n: postgresMigrations.length }]);
  });

  it('rejects UPDATE, DELETE and TRUNCATE on every evidence table, for any role', async () => {
    const url = await database!.freshSchema();
    const store = await openPostgresStore(url);
    await writeRun(store, day(1), [{ kind: member, records: people(2) }]);
    await store.close();
    const triggers = await sql<{ table: string; n: number }>(
      url,
      `SELECT event_object_table AS table, COUNT(*)::int AS n FROM information_schema.triggers WHERE trigger_schema = current_schema() GROUP BY 1 ORDER BY 1`,
    );
    // information_schema lists UPDATE and DELETE per row trigger (TRUNCATE triggers are not listed there).
    expect(triggers).toEqual([...postgresAppendOnlyTables].sort().map((table) => ({ table, n: 2 })));
    await expect(sql(url, "UPDATE blobs SET json = '{}'")).rejects.toThrow(/append-only: UPDATE on blobs rejected/);
    await expect(sql(url, 'DELETE FROM collections')).rejects.toThrow(/append-only: DELETE on collections rejected/);
    await expect(sql(url, 'TRUNCATE run_seals CASCADE')).rejects.toThrow(/append-only: TRUNCATE on run_seals rejected/);
    await expect(sql(url, "UPDATE run_seals SET status = 'failed'")).rejects.toThrow(/append-only/);
  });

  it('writes and verifies as a role holding only the printed GRANTs, which cannot change a row', async () => {
    const url = await database!.freshSchema();
    const schema = new URL(url).searchParams.get('options')!.split('=')[1]!;
    await (await openPostgresStore(url)).close();
    const role = `annexa_writer_${process.pid}`;
    await sql(url, `DROP ROLE IF EXISTS ${role}`);
    await sql(url, `CREATE ROLE ${role} LOGIN`);
    try {
      for (const statement of grantsSql(role, schema).split('\n').filter((l) => l.startsWith('GRANT'))) await sql(url, statement);
      const asWriter = new URL(url);
      asWriter.username = role;
      const store = await openPostgresStore(asWriter.toString());
      const r1 = await writeRun(store, day(1), [{ kind: member, records: people(3) }]);
      await writeRun(store, day(2), [{ kind: member, records: people(3, 1) }]);
      expect(await store.verify()).toMatchObject({ ok: true, runsChecked: 2 });
      await store.close();
      await expect(sql(asWriter.toString(), "UPDATE runs SET command = 'x'")).rejects.toThrow(/permission denied/);
      await expect(sql(asWriter.toString(), 'DELETE FROM blobs')).rejects.toThrow(/permission denied/);
      await expect(sql(asWriter.toString(), 'CREATE TABLE x (a int)')).rejects.toThrow(/permission denied/);
      expect((await sql<{ id: string }>(asWriter.toString(), 'SELECT id FROM runs ORDER BY seq'))[0]!.id).toBe(r1.id);
    } finally {
      await sql(url, `DROP OWNED BY ${role}`);
      await sql(url, `DROP ROLE ${role}`);
    }
  });

  it('serialises sealing: runs written at once by two processes make one unforked chain', async () => {
    const url = await database!.freshSchema();
    const [a, b] = [await openPostgresStore(url), await openPostgresStore(url)];
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => writeRun(i % 2 ? a : b, day(1 + i), [{ kind: `test.k${i}.v1`, records: people(20) }])),
    );
    const chain = await sql<{ prev_hash: string; hash: string }>(url, 'SELECT prev_hash, hash FROM run_seals ORDER BY chain_pos');
    expect(chain).toHaveLength(8);
    chain.forEach((seal, i) => expect(seal.prev_hash).toBe(i === 0 ? '0'.repeat(64) : chain[i - 1]!.hash));
    expect(new Set(runs.map((r) => r.hash)).size).toBe(8);
    expect(await a.verify()).toMatchObject({ ok: true, runsChecked: 8, headHash: chain.at(-1)!.hash });
    await a.close();
    await b.close();
  });

  it('streams a large manual evidence file in 1 MiB chunks and reads it back', async () => {
    const url = await database!.freshSchema();
    const store = await openPostgresStore(url);
    const writer = await store.startRun({ command: 'evidence add', toolVersion: '0.0.0-test', startedAt: day(1) });
    async function* content() {
      for (let i = 0; i < 13; i++) yield Buffer.alloc(256 * 1024, i); // 3.25 MiB, read in 256 KiB pieces
    }
    const file = await writer.addFile(content());
    await writer.finish('complete', day(1));
    expect(file.size).toBe(13 * 256 * 1024);
    expect(await sql(url, 'SELECT octet_length(data)::int AS n FROM chunks ORDER BY n DESC')).toEqual([{ n: 1048576 }, { n: 1048576 }, { n: 1048576 }, { n: 262144 }]);
    let size = 0;
    for await (const chunk of store.readFile(file.digest)) size += chunk.length;
    expect(size).toBe(file.size);
    expect((await store.verify()).ok).toBe(true);
    await store.close();
  });

  it('migrates a SQLite store to PostgreSQL and back with the same chain head (store migrate)', async () => {
    const url = await database!.freshSchema();
    const sqlitePath = path.join(tmp.dir, 'source.db');
    const sqlite = openSqliteStore(sqlitePath);
    await writeRun(sqlite, day(1), [{ kind: member, records: people(30) }]);
    await writeRun(sqlite, day(2), [{ kind: member, records: people(30, 4) }]);
    const writer = await sqlite.startRun({ command: 'check', toolVersion: '0.0.0-test', startedAt: day(3) });
    await writer.addCheckResults([{ checkId: 'test.mfa', instanceId: 'test-acme', subject: 'user-4', status: 'fail', message: 'no MFA', asOf: day(3), evidence: {} }]);
    const head = (await writer.finish('complete', day(3))).hash;
    await sqlite.close();

    const there = await runCli(['store', 'migrate', '--store', sqlitePath, '--to', url, '--json'], tmp.dir);
    expect(there.stderr).toBe('');
    expect(there.code).toBe(0);
    expect(JSON.parse(there.stdout)).toMatchObject({ ok: true, source: { ok: true, runs: 3, head }, target: { ok: true, runs: 3, head }, rows: { runs: 3, run_seals: 3, collections: 2 } });
    const pgStore = await openPostgresStore(url);
    expect((await pgStore.history(member, 'user-4')).map((h) => h.payload)).toEqual([
      { login: 'user-4', mfa: true },
      { login: 'user-4', mfa: false },
    ]);
    // New runs chain on in PostgreSQL.
    const next = await writeRun(pgStore, day(4), [{ kind: member, records: people(30) }]);
    expect(next.prevHash).toBe(head);
    await pgStore.close();

    const back = await runCli(['store', 'migrate', '--store', url, '--to', path.join(tmp.dir, 'back.db')], tmp.dir);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`head ${next.hash}`);
    expect(back.stdout).toContain('same chain head');
    // A non-empty target is refused.
    const again = await runCli(['store', 'migrate', '--store', sqlitePath, '--to', url], tmp.dir);
    expect(again).toMatchObject({ code: 2, stderr: expect.stringMatching(/is not empty: copy into a new one/) });
  });

  it('recomputes a seal over more change rows than it reads at once: a copied first run of 12,000 records verifies against the SQLite seal', async () => {
    const url = await database!.freshSchema();
    const sqlitePath = path.join(tmp.dir, 'many-changes.db');
    const sqlite = openSqliteStore(sqlitePath);
    // A first run: every record is a change row. Two collections, the page boundary (10,000 rows) inside the second.
    const head = (await writeRun(sqlite, day(1), [{ kind: member, records: people(4000) }, { kind: 'test.repo.v1', records: people(8000) }])).hash;
    await sqlite.close();
    const copied = await copyStore({ kind: 'sqlite', path: sqlitePath }, { kind: 'postgres', url });
    // PostgreSQL hashed its change rows in pages; a row skipped or read twice would not match the seal SQLite wrote.
    expect(copied.target).toMatchObject({ ok: true, runsChecked: 1, headHash: head });
    expect(copied.rows.subject_changes).toBe(12_000);
    expect(copied.ok).toBe(true);
  });

  it('writes an unchanged collector ending with all its records in one statement; a changed one falls back to read and write', async () => {
    const store = await openPostgresStore(await database!.freshSchema());
    try {
      const collectorRun = async (d: number, records: Record<string, unknown>) => {
        const writer = await store.startRun({ command: 'collect', toolVersion: '0.0.0-test', startedAt: day(d) });
        const last = Object.entries(records).map(([subject, payload]) => observation(member, subject, payload, plus(day(d), 100)));
        const statements = vi.spyOn(store, 'prepared');
        await writer.addOutcome(outcome(member, 'collected', last.length, day(d), plus(day(d), 900)), last);
        const names = statements.mock.calls.map((c) => c[0]);
        statements.mockRestore();
        return { names, run: await writer.finish('complete', plus(day(d), 1000)) };
      };
      const first = await collectorRun(1, people(20));
      // A new stream: tried, then read and written in a transaction.
      expect(first.names[0]).toBe('write-if-unchanged');
      const same = await collectorRun(2, people(20));
      expect(same.names).toEqual(['write-if-unchanged']);
      const changed = await collectorRun(3, people(20, 3));
      expect(changed.names).toEqual(['write-if-unchanged', 'write-collection']);
      expect((await store.latest(member))[0]!.records).toHaveLength(20);
      expect((await store.changesBetween(same.run.id, changed.run.id)).map((c) => c.subject)).toEqual(['user-3']);
      expect((await store.changesBetween(first.run.id, same.run.id))).toEqual([]);
      expect((await store.verify()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('prints the GRANTs (INSERT and SELECT only; DELETE on the pending scratch table)', async () => {
    const out = await runCli(['store', 'init', '--print-grants', '--role', 'annexa_writer'], tmp.dir);
    expect(out.code).toBe(0);
    const grants = out.stdout.split('\n').filter((l) => l.startsWith('GRANT'));
    expect(grants).toEqual([
      'GRANT USAGE ON SCHEMA "public" TO "annexa_writer";',
      `GRANT SELECT, INSERT ON ${postgresAppendOnlyTables.map((t) => `"public".${t}`).join(', ')} TO "annexa_writer";`,
      'GRANT SELECT, INSERT, DELETE ON "public".pending TO "annexa_writer";',
      'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "public" TO "annexa_writer";',
    ]);
    expect(grants.join('\n')).not.toMatch(/UPDATE|TRUNCATE/);
    // The README shows them as printed.
    expect(readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8')).toContain(grants.join('\n'));
  });

  it('selects PostgreSQL with store.url from config and never prints its password', async () => {
    const url = await database!.freshSchema();
    const withPassword = new URL(url);
    withPassword.password = 's3cret-pw';
    const dir = makeTempDir('annexa-pgcfg-');
    try {
      const config = path.join(dir.dir, 'annexa.yaml');
      (await import('node:fs')).writeFileSync(config, 'store:\n  url: ${ANNEXA_DATABASE_URL}\nconnectors: []\n');
      const env = { ANNEXA_DATABASE_URL: withPassword.toString() };
      const init = await runCli(['store', 'init', '--config', config], dir.dir, env);
      expect(init.code).toBe(0);
      expect(init.stdout).toContain('postgres://postgres:***@127.0.0.1:5432/');
      expect(init.stdout).not.toContain('s3cret-pw');
      const runs = await runCli(['runs', '--json', '--config', config], dir.dir, env);
      expect(runs).toMatchObject({ code: 0, stdout: '[]\n' });
    } finally {
      dir.cleanup();
    }
  });
});
