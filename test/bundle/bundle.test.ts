import { createHash, createHmac, type KeyPairKeyObjectResult } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRegistry } from '../../src/checks/registry.js';
import { canonicalJson, sha256Hex } from '../../src/core/canonical.js';
import { writeBundle, type BundleSummary } from '../../src/bundle/export.js';
import { controlFiles, type BundleManifest } from '../../src/bundle/manifest.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { mappingsRoot } from '../../src/frameworks/framework.js';
import type { SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import type { ControlTimeline, PeriodTimeline } from '../../src/reports/timeline.js';
import { buildFixtureBundle, exclusionJustification, manualText, memberRequests, period } from './fixture.js';
import { readZip } from './zip-helpers.js';

const seed = 'auditor-seed-2026';
const at = (day: number) => `2026-03-${String(day).padStart(2, '0')}T02:05:00.000Z`;

describe('annexa bundle: a period of evidence, signed and verifiable', () => {
  let dir: string;
  let store: SqliteEvidenceStore;
  let soaPath: string;
  let summary: BundleSummary;
  let entries: Map<string, Buffer>;
  let manifest: BundleManifest;
  let keys: KeyPairKeyObjectResult;
  const text = (name: string) => {
    const bytes = entries.get(name);
    if (!bytes) throw new Error(`${name} is not in the bundle`);
    return bytes.toString('utf8');
  };
  const jsonOf = <T>(name: string) => JSON.parse(text(name)) as T;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annexa-bundle-'));
    const built = await buildFixtureBundle(dir, { samples: [{ population: 'merged-prs', size: 1 }], seed });
    ({ store, soaPath, keys, summary } = built);
    entries = await readZip(summary.out);
    manifest = jsonOf<BundleManifest>('manifest.json');
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies right after export (round trip) and leaves no staging folder or partial file behind', async () => {
    const report = await verifyBundle(summary.out, keys.publicKey);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.filesVerified).toBe(manifest.files.length);
    expect(report.period).toEqual(period);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).filter((f) => f.startsWith('.annexa-bundle-') || f.endsWith('.partial'))).toEqual([]);
  });

  it('lists every other file in the manifest with its sha256 and size, and nothing else', () => {
    const listed = manifest.files.map((f) => f.path).sort();
    const present = [...entries.keys()].filter((n) => !(controlFiles as readonly string[]).includes(n)).sort();
    expect(listed).toEqual(present);
    for (const f of manifest.files) {
      expect(f.sha256, f.path).toBe(sha256Hex(entries.get(f.path)!));
      expect(f.size, f.path).toBe(entries.get(f.path)!.length);
    }
  });

  it('records the period, tool version, catalog and mapping digests, chain head and the run hashes of the period', async () => {
    expect(manifest.period).toEqual(period);
    expect(manifest.tool.name).toBe('annexa');
    expect(manifest.framework.catalog.sha256).toBe(sha256Hex(readFileSync(join(mappingsRoot, 'iso27001-2022', 'catalog.yaml'))));
    expect(manifest.framework.mappings).toContainEqual({ file: 'framework/github.yaml', sha256: sha256Hex(readFileSync(join(mappingsRoot, 'iso27001-2022', 'github.yaml'))) });
    expect(manifest.soa).toEqual({ file: 'soa.yaml', sha256: sha256Hex(readFileSync(soaPath)) });
    const runs = await store.runs();
    expect(manifest.store.chainHead).toEqual({ runId: runs[0]!.id, seq: runs[0]!.seq, hash: runs[0]!.hash });
    // 8 collections, 10 check runs and 1 manual evidence run, oldest first, each with its seal.
    expect(manifest.store.runs.map((r) => r.id)).toEqual([...runs].reverse().map((r) => r.id));
    expect(manifest.store.runs).toHaveLength(19);
    for (const r of manifest.store.runs) expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.store.runs[1]!.prevHash).toBe(manifest.store.runs[0]!.hash);
    expect(manifest.signingKey).toBe(`sha256:${sha256Hex(keys.publicKey.export({ type: 'spki', format: 'der' }))}`);
  });

  it('never contains the private key', () => {
    const pem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const body = pem.split('\n')[1]!;
    const raw = keys.privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32);
    for (const [name, bytes] of entries) {
      expect(bytes.includes(body), name).toBe(false);
      expect(bytes.includes(raw), name).toBe(false);
      expect(bytes.includes(raw.toString('hex')), name).toBe(false);
    }
  });

  describe('the day-by-day timeline', () => {
    let timeline: PeriodTimeline;
    const check = (id: string) => timeline.checks.find((c) => c.checkId === id)!;
    const control = (id: string) => timeline.controls.find((c) => c.id === id)!;
    beforeAll(() => {
      timeline = jsonOf<PeriodTimeline>('timeline.json');
    });

    it('gives each check a status for every day: pass, fail, stale (no collection for 48 h), not collected (failed collection)', () => {
      const members = check('github.members.have_2fa');
      expect(members.days.map((d) => d.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'fail', 'fail', 'stale', 'not_collected', 'pass', 'pass']);
      expect(members.days[4]).toEqual({ date: '2026-03-05', status: 'fail', runId: members.days[4]!.runId, counts: { pass: 2, fail: 1 } });
      expect(members.checkRuns).toBe(10);
      expect(check('github.org.requires_2fa').days.map((d) => d.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'stale', 'pass', 'pass', 'pass']);
      expect(check('github.dependabot.critical_high_within_sla').days.every((d) => d.status === 'not_collected')).toBe(true);
    });

    it('lists every status change with the run, the subjects and the evidence the run read', () => {
      const members = check('github.members.have_2fa');
      expect(members.initialStatus).toBe('pass');
      expect(members.changes.map((c) => [c.at, c.from, c.to, c.subjectsChanged])).toEqual([
        [at(5), 'pass', 'fail', 1],
        [at(7), 'fail', 'stale', 4],
        [at(8), 'stale', 'not_collected', 1],
        [at(9), 'not_collected', 'pass', 4],
      ]);
      expect(members.changes[0]!.subjects).toEqual([{ instanceId: 'github-acme', subject: 'juliaf81', from: 'pass', to: 'fail', message: 'member has 2FA disabled' }]);
      for (const change of members.changes) {
        expect(change.evidence).toHaveLength(1);
        const file = entries.get(`evidence/check-inputs/${change.evidence[0]}.json`)!;
        // The file is the stored evidence reference, named by the sha256 of its canonical JSON.
        expect(sha256Hex(file)).toBe(change.evidence[0]);
      }
      // Store v2 records, per kind read, the record count and the collection's tree digest in place of one digest per record.
      const read = JSON.parse(entries.get(`evidence/check-inputs/${members.changes[0]!.evidence[0]}.json`)!.toString()) as { kind: string; runId: string; records: number; tree: string; digests?: string[] }[];
      expect(read).toHaveLength(1);
      expect(read[0]).toMatchObject({ kind: 'github.member.v1', instanceId: 'github-acme', records: 3 });
      expect(read[0]!.digests).toBeUndefined();
      expect(read[0]!.tree).toMatch(/^[0-9a-f]{64}$/);
      // The bundle resolves the tree to the payload digests the result read; each is a record in the evidence JSONL.
      const tree = JSON.parse(entries.get(`evidence/check-inputs/trees/${read[0]!.tree}.json`)!.toString()) as { tree: string; runId: string; records: { subject: string; digest: string }[] };
      expect(tree).toMatchObject({ tree: read[0]!.tree, runId: read[0]!.runId });
      expect(tree.records.map((r) => r.subject)).toEqual(['jane-smith', 'juliaf81', 'kai-acme']);
      const versions = entries.get('evidence/github.member.v1.jsonl')!.toString().trim().split('\n').map((l) => JSON.parse(l) as { subject: string; digest: string; payload: { twoFactorEnabled: boolean } });
      for (const record of tree.records) expect(versions.some((v) => v.subject === record.subject && v.digest === record.digest)).toBe(true);
      // The version judged failing on day 5: juliaf81 without 2FA.
      const julia = tree.records.find((r) => r.subject === 'juliaf81')!;
      expect(versions.find((v) => v.digest === julia.digest)!.payload.twoFactorEnabled).toBe(false);
    });

    it('lists collection gaps: days without a successful collection of a kind the check reads', () => {
      expect(check('github.members.have_2fa').gaps).toEqual([{ kind: 'github.member.v1', instanceId: 'github-acme', from: '2026-03-06', to: '2026-03-08', days: 3 }]);
      expect(check('github.org.requires_2fa').gaps).toEqual([{ kind: 'github.org_settings.v1', instanceId: 'github-acme', from: '2026-03-06', to: '2026-03-07', days: 2 }]);
      expect(check('github.dependabot.critical_high_within_sla').gaps).toEqual([{ kind: 'github.dependabot_alert.v1', instanceId: '-', from: period.from, to: period.to, days: 10 }]);
    });

    it('rolls checks up per control in the coverage vocabulary, manual evidence from its effective date', () => {
      expect(control('A.8.5').days.map((d) => d.status)).toEqual(['passing', 'passing', 'passing', 'passing', 'failing', 'failing', 'stale', 'passing', 'passing', 'passing']);
      expect(control('A.5.1').days.map((d) => d.status)).toEqual(['missing', 'missing', ...Array(8).fill('manual')]);
      expect(control('A.5.1').evidenceInPeriod).toBe(true);
    });
  });

  describe('one folder per control', () => {
    it('holds the check results over the period as status intervals per subject, every evaluation counted', () => {
      const csv = text('controls/A.8.5/checks/github.members.have_2fa.results.csv');
      expect(csv.startsWith('\uFEFFconnector_instance,subject,status,first_evaluated,last_evaluated,evaluations,message,evidence_sha256\r\n')).toBe(true);
      const rows = csv.slice(1).trim().split('\r\n').slice(1).map((l) => l.split(',').slice(0, 6).join(','));
      expect(rows.sort()).toEqual(
        [
          `github-acme,jane-smith,pass,${at(1)},${at(6)},6`,
          `github-acme,jane-smith,pass,${at(9)},${at(10)},2`,
          `github-acme,juliaf81,pass,${at(1)},${at(4)},4`,
          `github-acme,juliaf81,fail,${at(5)},${at(6)},2`,
          `github-acme,juliaf81,pass,${at(9)},${at(10)},2`,
          `github-acme,kai-acme,pass,${at(1)},${at(6)},6`,
          `github-acme,kai-acme,pass,${at(9)},${at(10)},2`,
          `github-acme,github-acme,stale,${at(7)},${at(7)},1`,
          `github-acme,github-acme,not_collected,${at(8)},${at(8)},1`,
        ].sort(),
      );
      // The same results under every control the check supports.
      expect(entries.get('controls/A.5.17/checks/github.members.have_2fa.results.csv')!.equals(entries.get('controls/A.8.5/checks/github.members.have_2fa.results.csv')!)).toBe(true);
    });

    it('holds a day-by-day timeline CSV per control and check', () => {
      const lines = text('controls/A.8.5/timeline.csv').slice(1).split('\r\n');
      // Other connectors' MFA checks map to A.8.5 too; this fixture collects none of their evidence,
      // so each of their columns must read not_collected on every day.
      const header = lines[0]!.split(',');
      expect(header.slice(0, 3)).toEqual(['date', 'control_status', 'github.org.requires_2fa']);
      expect(header).toEqual(expect.arrayContaining(['github.members.have_2fa', 'aws.iam.console_users_have_mfa', 'entra.users.mfa_registered', 'google.users.2sv_enrolled']));
      // Columns of connectors with no evidence here (a cross-instance people.* check also reads the GitHub members, so it is not among them).
      const absent = header.flatMap((name, i) => (/^(aws|entra|google)\./.test(name) ? [i] : []));
      expect(absent.length).toBeGreaterThan(5);
      const columns = (line: string, at: number[]) => at.map((i) => line.split(',')[i]);
      expect(lines[7]!.split(',').slice(0, 5)).toEqual(['2026-03-07', 'stale', 'stale', 'stale', 'stale']);
      expect(columns(lines[7]!, absent)).toEqual(absent.map(() => 'not_collected'));
      expect(lines[8]!.split(',').slice(0, 5)).toEqual(['2026-03-08', 'passing', 'pass', 'not_collected', 'not_collected']);
      expect(columns(lines[8]!, absent)).toEqual(absent.map(() => 'not_collected'));
    });

    it('says so when a control had no evidence in the period, and never omits it', () => {
      const noCheck = jsonOf<ControlTimeline & { checks: unknown[] }>('controls/A.5.2/control.json');
      expect(noCheck.evidenceInPeriod).toBe(false);
      expect(noCheck.summary).toBe('No evidence for A.5.2 from 2026-03-01 to 2026-03-10: no check is mapped to it and no manual evidence was in force.');
      const neverCollected = jsonOf<ControlTimeline>('controls/A.8.8/control.json');
      expect(neverCollected.evidenceInPeriod).toBe(false);
      expect(neverCollected.summary).toBe(
        'No evidence for A.8.8 from 2026-03-01 to 2026-03-10: none of its 2 mapped check(s) judged collected evidence and no manual evidence was in force.',
      );
      expect(summary.withoutEvidence).toContain('A.5.2');
      expect(summary.withoutEvidence).toContain('A.8.8');
      expect(summary.withoutEvidence).not.toContain('A.8.5');
      // Every requirement of the catalog has its folder.
      expect(manifest.requirements.every((id) => entries.has(`controls/${id}/control.json`))).toBe(true);
      expect(text('README.txt')).toContain('A.5.2');
    });

    it('carries the SoA justification of an excluded control', () => {
      const excluded = jsonOf<ControlTimeline>('controls/A.7.4/control.json');
      expect(excluded.applicable).toBe(false);
      expect(excluded.justification).toBe(exclusionJustification);
      expect(excluded.summary).toBe(`Excluded in the Statement of Applicability: ${exclusionJustification}.`);
      expect(text('soa.csv')).toContain(`\r\nA.7.4,Physical security monitoring,physical,No,${exclusionJustification},,excluded\r\n`);
      expect(text('soa.csv').startsWith('\uFEFFcontrol,title,theme,applicable,justification,implementation,status_at_period_end\r\n')).toBe(true);
    });

    it('includes manual evidence files as stored, with effective and expiry dates', () => {
      const control = jsonOf<{ manualEvidence: { file: string; effective: string; expires: string; digest: string }[] }>('controls/A.5.1/control.json');
      expect(control.manualEvidence).toHaveLength(1);
      const item = control.manualEvidence[0]!;
      expect(item).toMatchObject({ effective: '2026-03-03', expires: '2027-03-03', digest: sha256Hex(manualText) });
      const path = item.file;
      expect(path).toBe(`manual/${sha256Hex(manualText).slice(0, 12)}-information_security_policy.md`);
      // In the control's folder, and once at the top with the list of every manual file.
      expect(text(`controls/A.5.1/${path}`)).toBe(manualText);
      expect(text(path)).toBe(manualText);
      expect(text('manual/manual-evidence.csv')).toContain(`${path},information security policy.md,A.5.1,2026-03-03,2027-03-03,ciso,`);
    });
  });

  it('holds every version of the records the checks read, each digest recomputable from its payload (RFC 8785)', () => {
    const lines = text('evidence/github.member.v1.jsonl').trim().split('\n').map((l) => JSON.parse(l) as {
      subject: string; digest: string; payload: unknown; firstSeen: { runId: string; at: string }; lastSeen: { runId: string; at: string };
      instanceId: string; collectorId: string; source: { connectorType: string; tool: string }; requests: unknown[];
    });
    for (const line of lines) expect(createHash('sha256').update(canonicalJson(line.payload)).digest('hex')).toBe(line.digest);
    // One line per distinct version: juliaf81 with 2FA (days 1-4 and again 9-10) and without (day 5).
    const julia = lines.filter((l) => l.subject === 'juliaf81');
    expect(julia.map((l) => [l.firstSeen.at, l.lastSeen.at, (l.payload as { twoFactorEnabled: boolean }).twoFactorEnabled])).toEqual([
      ['2026-03-01T01:59:55.000Z', '2026-03-10T02:00:00.000Z', true],
      ['2026-03-05T01:59:55.000Z', '2026-03-05T02:00:00.000Z', false],
    ]);
    expect(lines.map((l) => l.subject)).toEqual(['jane-smith', 'juliaf81', 'juliaf81', 'kai-acme']);
    expect(lines[0]).toMatchObject({ instanceId: 'github-acme', collectorId: 'members', source: { connectorType: 'github', tool: 'annexa-test' } });
    // The API requests of the collection that first held each version (the store v2 `requestsOf` read):
    // juliaf81 without 2FA was first collected on day 5, so its requests are day 5's.
    expect(julia[1]!.requests).toEqual(memberRequests(new Date('2026-03-05T01:59:55.000Z')));
    for (const line of lines) {
      expect(line.requests.length).toBeGreaterThan(0);
      expect(line.requests).toEqual(memberRequests(new Date(line.firstSeen.at)));
    }
  });

  it('exports populations as CSV that opens cleanly in Excel: BOM, one header row, ISO dates, only events in the period', () => {
    const csv = text('populations/merged-prs.csv');
    expect(csv.startsWith('\uFEFFid,connector_instance,subject,repository,number,title,author,merged_by,created_at,merged_at,base_branch,merge_commit,approvals,url,first_seen,last_seen,record_sha256\r\n')).toBe(true);
    const rows = csv.slice(1).split('\r\n').filter(Boolean);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/^github-acme:acme\/api#1,github-acme,acme\/api#1,acme\/api,1,"Change 1, ""quoted"", with a comma",jane-smith,jane-smith,2026-02-20T09:00:00Z,2026-03-02T11:00:00Z,main,c0ffee1,kai-acme@2026-02-20T10:00:00Z,/);
    expect(rows[2]).toMatch(/^github-acme:acme\/api#2,/);
    expect(csv).not.toContain('acme/api#3');
    expect(text('populations/members.csv').split('\r\n').filter(Boolean)).toHaveLength(4);
    // Each control folder carries the populations its checks read.
    expect(text('controls/A.8.32/populations/merged-prs.csv')).toBe(csv);
    expect(jsonOf<{ populations: string[] }>('controls/A.8.32/control.json').populations).toEqual(['populations/merged-prs.csv']);
    expect(entries.has('controls/A.8.5/populations/merged-prs.csv')).toBe(false);
  });

  it('records the sample, its seed, method and population digest; the draw matches HMAC-SHA256 ranking', () => {
    const sample = jsonOf<{ seed: string; method: string; size: number; populationSize: number; populationSha256: string; ids: string[] }>('samples/merged-prs.json');
    const ids = ['github-acme:acme/api#1', 'github-acme:acme/api#2'];
    const rank = (id: string) => createHmac('sha256', seed).update(id).digest('hex');
    expect(sample).toMatchObject({ seed, size: 1, populationSize: 2, populationSha256: sha256Hex(entries.get('populations/merged-prs.csv')!) });
    expect(sample.ids).toEqual([ids.sort((a, b) => rank(a).localeCompare(rank(b)))[0]]);
    expect(sample.method).toContain('HMAC-SHA256');
    expect(manifest.samples).toEqual([{ population: 'merged-prs', seed, size: 1, populationSha256: sample.populationSha256, file: 'samples/merged-prs.json' }]);
    expect(text('samples/merged-prs.csv')).toContain(sample.ids[0]);
  });

  it('includes the coverage report at the end of the period', () => {
    const coverage = jsonOf<{ asOf: string; controls: { id: string; status: string }[] }>('coverage/coverage.json');
    expect(coverage.asOf).toBe('2026-03-10T23:59:59.999Z');
    expect(coverage.controls.find((c) => c.id === 'A.7.4')!.status).toBe('excluded');
    expect(text('coverage/coverage.html').startsWith('<!doctype html>')).toBe(true);
  });

  it('is the same sample on a second export with the same seed', async () => {
    const again = await writeBundle({
      store, period, requirements: ['8.32'], checks: checkRegistry, soaPath, checkParams: {}, privateKey: keys.privateKey,
      samples: [{ population: 'merged-prs', size: 1 }], seed, now: new Date('2026-03-16T12:00:00.000Z'), workDir: dir, out: join(dir, 'again.zip'),
    });
    const second = await readZip(again.out);
    expect(JSON.parse(second.get('samples/merged-prs.json')!.toString()).ids).toEqual(jsonOf<{ ids: string[] }>('samples/merged-prs.json').ids);
    expect(second.get('populations/merged-prs.csv')!.equals(entries.get('populations/merged-prs.csv')!)).toBe(true);
    // --controls 8.32: only that folder.
    expect([...second.keys()].filter((n) => n.endsWith('/control.json'))).toEqual(['controls/A.8.32/control.json']);
  });
});

