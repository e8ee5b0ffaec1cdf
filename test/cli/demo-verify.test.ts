import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli, tempDir } from './helpers.js';
import { githubSeededViolations } from '../../src/sandbox/github/data.js';
import { startSandboxEnvironment, sandboxToken, type SandboxEnvironment } from '../../src/demo/sandbox-environment.js';

/** Drops the append-only triggers, as "any SQLite client" would before editing. */
function dropTriggers(db: Database.Database): void {
  for (const name of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[]) {
    db.exec(`DROP TRIGGER ${name}`);
  }
}

describe('annexa demo, then verify and tampering through the CLI', () => {
  const tmp = tempDir();
  const config = join(tmp.dir, 'demo', 'annexa.yaml');
  let demo: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    demo = await runCli(['demo', '--dir', 'demo', '--scale', '0.3'], tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  it('collects every GitHub kind from the sandbox and verifies the store', () => {
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    for (const kind of ['github.org_settings.v1', 'github.member.v1', 'github.outside_collaborator.v1', 'github.branch_protection.v1', 'github.merged_pull_request.v1', 'github.dependabot_alert.v1']) {
      expect(demo.stdout).toMatch(new RegExp(`${kind.replace(/\./g, '\\.')}\\s+\\d+\\s+collected`));
    }
    expect(demo.stdout).toContain('Verify: OK');
    expect(existsSync(join(tmp.dir, 'demo', 'evidence.db'))).toBe(true);
  });

  it('stores the seeded members without 2FA as disabled, and reads back as JSON', async () => {
    const members = await runCli(['evidence', 'show', 'github.member.v1', '--json', '--config', config], tmp.dir);
    expect(members.code).toBe(0);
    const [snapshot] = JSON.parse(members.stdout) as { records: { payload: { login: string; twoFactorEnabled: boolean | null } }[] }[];
    const disabled = snapshot!.records.filter((r) => r.payload.twoFactorEnabled === false).map((r) => r.payload.login);
    expect(disabled).toHaveLength(githubSeededViolations.membersWithout2fa);
    expect(snapshot!.records.every((r) => r.payload.twoFactorEnabled !== null)).toBe(true);
  });

  it('lists runs and kinds as JSON', async () => {
    const runs = await runCli(['runs', '--json', '--config', config], tmp.dir);
    const parsed = JSON.parse(runs.stdout) as { command: string; status: string; hash: string; prevHash: string; observationCount: number }[];
    // Newest first: the check run, two manual evidence runs, the collection.
    expect(parsed.map((r) => r.command)).toEqual([
      'annexa demo (check)',
      'annexa demo (evidence add)',
      'annexa demo (evidence add)',
      'annexa demo --scale 0.3',
    ]);
    expect(parsed.every((r) => r.status === 'complete' && /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    expect(parsed[0]!.prevHash).toBe(parsed[1]!.hash);
    const kinds = JSON.parse((await runCli(['evidence', 'ls', '--json', '--config', config], tmp.dir)).stdout) as { kind: string }[];
    expect(kinds.map((k) => k.kind).sort()).toEqual([
      'aws.backup_job.v1',
      'aws.backup_plan.v1',
      'aws.backup_protected_resource.v1',
      'aws.backup_restore_job.v1',
      'aws.backup_vault.v1',
      'aws.cloudtrail_account.v1',
      'aws.cloudtrail_event.v1',
      'aws.iam_account.v1',
      'aws.iam_principal.v1',
      'aws.iam_user.v1',
      'github.branch_protection.v1',
      'github.dependabot_alert.v1',
      'github.member.v1',
      'github.merged_pull_request.v1',
      'github.org_settings.v1',
      'github.outside_collaborator.v1',
      'github.repository_settings.v1',
      'manual.document.v1',
    ]);
  });

  it('fails verify and names the run and kind when one payload byte is changed with another SQLite client', async () => {
    const copy = join(tmp.dir, 'tampered.db');
    copyFileSync(join(tmp.dir, 'demo', 'evidence.db'), copy);
    const db = new Database(copy);
    dropTriggers(db);
    // The first member record's payload, found through the collection's record tree.
    const tree = db
      .prepare("SELECT t.data FROM collections c JOIN streams s ON s.id = c.stream_id JOIN trees t ON t.digest = c.tree WHERE s.kind = 'github.member.v1' ORDER BY c.id LIMIT 1")
      .pluck()
      .get() as string;
    const digest = (JSON.parse(tree) as [string, string][])[0]![1];
    const row = db.prepare('SELECT digest, json FROM blobs WHERE digest = ?').get(digest) as { digest: string; json: string };
    const changed = row.json.replace('"role":"member"', '"role":"admin"').replace('"role":"admin"', row.json.includes('"role":"member"') ? '"role":"admin"' : '"role":"membre"');
    expect(changed).not.toBe(row.json);
    db.prepare('UPDATE blobs SET json = ? WHERE digest = ?').run(changed, row.digest);
    db.close();
    const runId = (JSON.parse((await runCli(['runs', '--json', '--store', copy], tmp.dir)).stdout) as { id: string; command: string }[]).find((r) =>
      r.command.startsWith('annexa demo --scale'),
    )!.id;
    const verify = await runCli(['verify', '--store', copy], tmp.dir);
    expect(verify.code).toBe(5);
    expect(verify.stdout).toContain('blob_hash_mismatch');
    expect(verify.stdout).toContain('github.member.v1');
    expect(verify.stdout).toContain(runId);
    const clean = await runCli(['verify', '--config', config], tmp.dir);
    expect(clean.code).toBe(0);
  });

  it('gives an auditor coverage from the database file alone (--store, no config file)', async () => {
    const fromStore = await runCli(['coverage', '--format', 'json', '--store', join('demo', 'evidence.db'), '--soa', join('demo', 'soa.yaml')], tmp.dir);
    expect(fromStore.stderr).toBe('');
    expect(fromStore.code).toBe(0);
    const fromConfig = await runCli(['coverage', '--format', 'json', '--config', config], tmp.dir);
    const summary = (out: string) => (JSON.parse(out) as { summary: unknown }).summary;
    expect(summary(fromStore.stdout)).toEqual(summary(fromConfig.stdout));
  });

  it('exits 2 with the file and key path for a bad config, and for an unknown --only id', async () => {
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, 'connectors:\n  - id: gh\n    type: github\n    org: 42\n    token: ${GITHUB_TOKEN}\n');
    const result = await runCli(['collect', '--config', bad], tmp.dir, { GITHUB_TOKEN: 'ghp_x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}: connectors[0].org: expected string`);
    const only = await runCli(['collect', '--config', bad.replace('bad', 'bad'), '--only', 'nope'], tmp.dir, { GITHUB_TOKEN: 'ghp_x' });
    expect(only.code).toBe(2);
  });
});

describe('annexa collect against a GitHub-compatible endpoint', () => {
  let sandbox: SandboxEnvironment;
  const tmp = tempDir();
  beforeAll(async () => {
    sandbox = await startSandboxEnvironment({ scale: 0.2, now: new Date() });
  });
  afterAll(async () => {
    await sandbox.close();
    tmp.cleanup();
  });

  it('collects with --only, then a second run dedupes unchanged payloads and chains to the first', async () => {
    const file = join(tmp.dir, 'annexa.yaml');
    writeFileSync(
      file,
      `store:\n  path: ./data/evidence.db\nconnectors:\n  - id: github-acme\n    type: github\n    org: acme\n    token: \${GH_TOKEN}\n    baseUrl: ${sandbox.github.url}\n`,
    );
    const env = { GH_TOKEN: sandboxToken };
    const first = await runCli(['collect', '--only', 'github-acme:members', '--json', '--config', file], tmp.dir, env);
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout) as { status: string; outcomes: { collectorId: string; recordCount: number }[] };
    expect(summary.outcomes.map((o) => o.collectorId)).toEqual(['members']);
    const second = await runCli(['collect', '--only', 'github-acme:members', '--json', '--config', file], tmp.dir, env);
    expect(second.code).toBe(0);
    const db = new Database(join(tmp.dir, 'data', 'evidence.db'), { readonly: true });
    // An unchanged collection is the same record tree: the second run stored a reference, not the records again.
    const collections = db
      .prepare("SELECT c.tree, c.record_count FROM collections c JOIN streams s ON s.id = c.stream_id WHERE s.kind = 'github.member.v1' ORDER BY c.id")
      .all() as { tree: string; record_count: number }[];
    const trees = db.prepare('SELECT COUNT(*) FROM trees').pluck().get();
    const memberRows = db.prepare('SELECT row_count FROM trees WHERE digest = ?').pluck().get(collections[0]!.tree);
    db.close();
    expect(collections).toHaveLength(2);
    expect(collections[1]!.tree).toBe(collections[0]!.tree);
    expect(collections.map((c) => c.record_count)).toEqual([summary.outcomes[0]!.recordCount, summary.outcomes[0]!.recordCount]);
    expect(trees).toBe(1);
    expect(memberRows).toBe(summary.outcomes[0]!.recordCount);
    const runs = JSON.parse((await runCli(['runs', '--json', '--config', file], tmp.dir)).stdout) as { hash: string; prevHash: string }[];
    expect(runs[0]!.prevHash).toBe(runs[1]!.hash);
  });

  it('a wrong token is auth_failed for every collector and exits 3', async () => {
    const file = join(tmp.dir, 'wrong.yaml');
    writeFileSync(file, `store:\n  path: ./wrong/evidence.db\nconnectors:\n  - id: github-acme\n    type: github\n    org: acme\n    token: \${GH_TOKEN}\n    baseUrl: ${sandbox.github.url}\n`);
    const result = await runCli(['collect', '--json', '--config', file], tmp.dir, { GH_TOKEN: 'ghp_wrongwrongwrongwrongwrongwrong1234' });
    expect(result.code).toBe(3);
    const summary = JSON.parse(result.stdout) as { status: string; outcomes: { status: string; errorCode: string }[] };
    expect(summary.status).toBe('failed');
    expect(new Set(summary.outcomes.map((o) => o.errorCode))).toEqual(new Set(['auth_failed']));
    expect(result.stdout).not.toContain('ghp_wrongwrong');
  });
});
