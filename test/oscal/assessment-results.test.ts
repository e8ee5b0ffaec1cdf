import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oscalPath } from '../../src/bundle/export.js';
import { packageRoot } from '../../src/core/version.js';
import type { SqliteEvidenceStore } from '../../storage/sqlite-store.js';
import { runCli } from '../cli/helpers.js';
import { buildFixtureBundle, exclusionJustification } from '../bundle/fixture.js';
import { readZip } from '../bundle/zip-helpers.js';

/**
 * NIST's OSCAL 1.0.4 assessment-results JSON schema, shared read-only at `../shared/reference/oscal/`
 * next to the repository (found walking up, so it also works from a git worktree further down).
 */
const schemaFile = ((): string => {
  for (let dir = packageRoot; ; dir = dirname(dir)) {
    const candidate = resolve(dir, '../shared/reference/oscal/oscal_assessment-results_schema.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`oscal_assessment-results_schema.json not found in ../shared/reference/oscal above ${packageRoot}`);
  }
})();

type Json = Record<string, any>;

describe('OSCAL assessment results', () => {
  let dir: string;
  let store: SqliteEvidenceStore;
  let validate: ValidateFunction;
  let document: Json;
  let entries: Map<string, Buffer>;

  beforeAll(async () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
    dir = mkdtempSync(join(tmpdir(), 'annexa-oscal-'));
    const built = await buildFixtureBundle(dir);
    store = built.store;
    entries = await readZip(built.out);
    document = JSON.parse(entries.get(oscalPath)!.toString()) as Json;
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is valid against the official NIST schema (ajv)', () => {
    const valid = validate(document);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check is not vacuous: a broken document fails it', () => {
    const broken = structuredClone(document);
    delete broken['assessment-results'].results[0].start;
    broken['assessment-results'].results[0].findings[0].target.status.state = 'passed';
    expect(validate(broken)).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath)).toContain('/assessment-results/results/0/findings/0/target/status/state');
  });

  it('uses Annex A ids as control references, with findings per control and the SoA exclusion', () => {
    const result = document['assessment-results'].results[0];
    expect(result.start).toBe('2026-03-01T00:00:00.000Z');
    expect(result.end).toBe('2026-03-10T23:59:59.999Z');
    const selections = result['reviewed-controls']['control-selections'] as Json[];
    const included = selections.flatMap((s) => (s['include-controls'] ?? []).map((c: Json) => c['control-id']));
    expect(included).toHaveLength(92);
    expect(included).toContain('A.8.5');
    expect(included).not.toContain('A.7.4');
    expect(selections).toContainEqual({ description: `Excluded in the Statement of Applicability: ${exclusionJustification}`, 'exclude-controls': [{ 'control-id': 'A.7.4' }] });
    const finding = (id: string) => (result.findings as Json[]).find((f) => f.target['target-id'] === id)!;
    expect(finding('A.8.5').target.status).toEqual({ state: 'not-satisfied', reason: 'fail' });
    expect(finding('A.5.2').target.status).toEqual({ state: 'not-satisfied', reason: 'no-evidence' });
    expect(finding('A.5.2').description).toContain('No evidence for A.5.2');
    expect(finding('A.5.1').target.status).toEqual({ state: 'not-satisfied', reason: 'fail' });
  });

  it('links observations to evidence files in the bundle with their SHA-256', () => {
    const ar = document['assessment-results'];
    const observation = (ar.results[0].observations as Json[]).find((o) => o.props.some((p: Json) => p.value === 'github.members.have_2fa'))!;
    expect(observation.description).toContain('6 day(s) pass, 2 day(s) fail, 1 day(s) stale, 1 day(s) not_collected; 10 check run(s); 4 status change(s); 1 collection gap(s) totalling 3 day(s)');
    const finding = (ar.results[0].findings as Json[]).find((f) => f.target['target-id'] === 'A.8.5')!;
    expect(finding['related-observations']).toContainEqual({ 'observation-uuid': observation.uuid });
    const resources = new Map((ar['back-matter'].resources as Json[]).map((r) => [r.uuid, r]));
    expect(observation.links.length).toBeGreaterThan(0);
    for (const link of observation.links as Json[]) {
      const resource = resources.get(link.href.slice(1))!;
      const rlink = resource.rlinks[0];
      const bytes = entries.get(rlink.href)!;
      expect(bytes, rlink.href).toBeDefined();
      expect(rlink.hashes[0]).toEqual({ algorithm: 'SHA-256', value: createHash('sha256').update(bytes).digest('hex') });
    }
    for (const evidence of observation['relevant-evidence'] as Json[]) expect(entries.has(evidence.href)).toBe(true);
  });

  it('annexa bundle --format oscal writes the document alone, also valid', async () => {
    const out = join(dir, 'results.oscal.json');
    const result = await runCli(['bundle', '--store', join(dir, 'evidence.db'), '--from', '2026-03-01', '--to', '2026-03-10', '--format', 'oscal', '--out', out, '--controls', '5.17,8.5,9.2'], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const alone = JSON.parse(readFileSync(out, 'utf8')) as Json;
    expect(validate(alone)).toBe(true);
    const ids = alone['assessment-results'].results[0].findings.map((f: Json) => f.target['target-id']);
    // Clause 9.2 is no Annex A control: OSCAL control ids are tokens, so only A.5.17 and A.8.5.
    expect(ids).toEqual(['A.5.17', 'A.8.5']);
  });
});

