import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeriodTimeline } from '../../src/reports/timeline.js';
import { openSqliteStore, type SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { runCli } from '../cli/helpers.js';
import { buildPeriodStore } from './fixture.js';

describe('annexa coverage --from --to', () => {
  let dir: string;
  let store: SqliteEvidenceStore;
  let soaPath: string;
  const args = (...more: string[]) => ['coverage', '--store', join(dir, 'evidence.db'), '--soa', soaPath, '--from', '2026-03-01', '--to', '2026-03-10', ...more];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annexa-coverage-period-'));
    store = openSqliteStore(join(dir, 'evidence.db'));
    ({ soaPath } = await buildPeriodStore(store, dir));
    await store.close();
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the period as a table: days by status per check, gaps, requirements without evidence, every change', async () => {
    const result = await runCli(args(), dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toContain('Annex A timeline 2026-03-01 to 2026-03-10 (10 days)');
    expect(out).toMatch(/github\.members\.have_2fa\s+6 days pass, 2 days fail, 1 day stale, 1 day not collected\s+10\s+4\s+3 days in 1 gap\(s\)/);
    expect(out).toMatch(/A\.8\.5\s+7 days passing, 2 days failing, 1 day stale\s+github\.org\.requires_2fa, github\.members\.have_2fa, github\.members\.no_insecure_2fa, github\.outside_collaborators\.have_2fa, aws\.iam\.console_users_have_mfa, aws\.iam\.root_mfa_and_no_access_keys, aws\.cloudtrail\.console_sign_ins_use_mfa, entra\.users\.mfa_registered, [^\n]*people\.second_factor\.everywhere\n/);
    expect(out).toMatch(/No evidence in the period \(\d+\): .*A\.5\.2/);
    expect(out).not.toMatch(/No evidence in the period \(\d+\): .*A\.7\.4/);
    expect(out).toMatch(/2026-03-05T02:05:00\.000Z\s+github\.members\.have_2fa\s+pass -> fail\s+1\s+[0-9a-f]{12}/);
  });

  it('writes the timeline as JSON and as self-contained HTML', async () => {
    const json = await runCli(args('--format', 'json'), dir);
    const timeline = JSON.parse(json.stdout) as PeriodTimeline;
    expect(timeline.checks.find((c) => c.checkId === 'github.members.have_2fa')!.days.map((d) => d.status)).toEqual([
      'pass', 'pass', 'pass', 'pass', 'fail', 'fail', 'stale', 'not_collected', 'pass', 'pass',
    ]);
    const out = join(dir, 'timeline.html');
    const html = await runCli(args('--format', 'html', '--out', out), dir);
    expect(html.code).toBe(0);
    const page = readFileSync(out, 'utf8');
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(page).toContain('title="2026-03-07: stale"');
    expect(page).not.toMatch(/<script|https?:\/\//);
  });

  it('rejects combinations that make no sense for a period', async () => {
    expect((await runCli(args('--as-of', '2026-03-05'), dir)).code).toBe(2);
    expect((await runCli(args('--format', 'md'), dir)).code).toBe(2);
    const reversed = await runCli(['coverage', '--store', join(dir, 'evidence.db'), '--from', '2026-03-10', '--to', '2026-03-01'], dir);
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toContain('--to 2026-03-01 is before --from 2026-03-10');
  });
});
