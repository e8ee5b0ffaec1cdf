import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock, NOW } from '../github/harness.js';
import { silentLogger } from '../../src/core/logger.js';
import { classifyError } from '../../src/core/errors.js';
import { Redactor } from '../../src/core/redact.js';
import { parseConfig } from '../../src/config/config.js';
import { connectorRegistry } from '../../src/registry.js';
import { planCollection } from '../../src/pipeline/plan.js';
import { runCollection } from '../../src/pipeline/collect.js';
import { openSqliteStore } from '../../storage/sqlite-store.js';
import { rosterCollector, trainingCompletionsCollector } from '../../connectors/file/collectors.js';
import { parseDate } from '../../connectors/file/parse.js';
import type { FileSettings } from '../../connectors/file/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'annexa-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const rosterColumns = { email: 'email', name: 'full_name', startDate: 'start_date', endDate: 'end_date', department: 'department', manager: 'manager_email' };

async function collect(config: FileSettings) {
  const collector = config.kind === 'people.roster' ? rosterCollector : trainingCompletionsCollector;
  const out = [];
  for await (const r of collector.collect({ client: undefined, config, instanceId: 'hr', clock: new FakeClock(), logger: silentLogger(), signal: new AbortController().signal })) out.push(r);
  return out;
}

describe('file import: CSV edge cases', () => {
  it('drops the BOM, keeps quoted commas and newlines, skips empty lines, and records file, line and digest', async () => {
    const text =
      '\uFEFFemail,full_name,start_date,end_date,department,manager_email\r\n' +
      'Jane.Doe@acme.example,"Doe, Jane",03/02/2024,,Engineering,boss@acme.example\r\n' +
      '\r\n' +
      'li.wu@acme.example,"Li ""Lee""\nWu",15/11/2019,31/10/2026,"Sales, EMEA",\r\n';
    const path = write('roster.csv', text);
    const records = await collect({ kind: 'people.roster', path, dateFormat: 'dd/mm/yyyy', columns: rosterColumns });
    const request = { method: 'READ', url: pathToFileURL(path).href, status: 200, requestId: `sha256:${createHash('sha256').update(text).digest('hex')}`, at: NOW.toISOString() };
    expect(records).toEqual([
      {
        subject: 'jane.doe@acme.example',
        requests: [request],
        payload: { email: 'jane.doe@acme.example', name: 'Doe, Jane', employeeId: null, startDate: '2024-02-03', endDate: null, department: 'Engineering', managerEmail: 'boss@acme.example', source: { file: path, line: 2 } },
      },
      {
        subject: 'li.wu@acme.example',
        requests: [request],
        payload: { email: 'li.wu@acme.example', name: 'Li "Lee"\nWu', employeeId: null, startDate: '2019-11-15', endDate: '2026-10-31', department: 'Sales, EMEA', managerEmail: null, source: { file: path, line: 5 } },
      },
    ]);
  });

  it('reads the same dates as mm/dd/yyyy when the config says so, never guessing', async () => {
    const path = write('roster-us.csv', 'email,start_date\nann@acme.example,03/02/2024\n');
    const [record] = await collect({ kind: 'people.roster', path, dateFormat: 'mm/dd/yyyy', columns: { email: 'email', startDate: 'start_date' } });
    expect((record!.payload as { startDate: string }).startDate).toBe('2024-03-02');
    expect(parseDate('03/02/2024', 'dd/mm/yyyy')).toEqual({ date: '2024-02-03' });
    expect(parseDate('2024-03-02', 'dd/mm/yyyy')).toEqual({ error: '"2024-03-02" is not a dd/mm/yyyy date' });
    expect(parseDate('31/02/2024', 'dd/mm/yyyy')).toEqual({ error: '"31/02/2024" is not a valid dd/mm/yyyy date' });
    expect(parseDate('13/01/2024', 'mm/dd/yyyy')).toEqual({ error: '"13/01/2024" is not a valid mm/dd/yyyy date' });
    expect(parseDate('2024-03-02T23:30:00-02:00', 'iso')).toEqual({ date: '2024-03-03' });
    expect(parseDate('2024-3-2', 'iso')).toEqual({ error: '"2024-3-2" is not an ISO date (expected YYYY-MM-DD)' });
  });

  it('rejects the whole import when any row is bad, naming file, line and reason for each', async () => {
    const path = write('bad.csv', 'email,full_name,start_date,end_date,department,manager_email\nok@acme.example,Ok,2024-01-01,,Eng,\nnot-an-email,X,2024-01-01,,Eng,\nz@acme.example,Z,2024-13-01,,Eng,\nok@acme.example,Again,2024-01-01,,Eng,\ny@acme.example,Y,2024-05-01,2024-04-01,Eng,\n');
    const error = await collect({ kind: 'people.roster', path, dateFormat: 'iso', columns: rosterColumns }).catch((e: unknown) => e);
    expect(classifyError(error)).toEqual({
      code: 'invalid_payload',
      message:
        `people.roster import rejected, nothing loaded: 4 bad row(s): ${path}:3: email: "not-an-email" is not an email address; ` +
        `${path}:4: start date: "2024-13-01" is not a valid iso date; ${path}:5: duplicate ok@acme.example (first on ${path}:2); ` +
        `${path}:6: end date 2024-04-01 is before start date 2024-05-01`,
    });
  });

  it('reports a structurally broken CSV with csv-parse\'s line', async () => {
    const path = write('ragged.csv', 'email,start_date\na@acme.example,2024-01-01\nb@acme.example,2024-01-01,extra\n');
    const error = await collect({ kind: 'people.roster', path, dateFormat: 'iso', columns: { email: 'email', startDate: 'start_date' } }).catch((e: unknown) => e);
    expect(classifyError(error).code).toBe('invalid_payload');
    expect(classifyError(error).message).toContain(`${path}: Invalid Record Length: columns length is 2, got 3 on line 3`);
  });

  it('names a configured column the file lacks', async () => {
    const path = write('nocol.csv', 'mail\na@acme.example\n');
    const error = await collect({ kind: 'people.roster', path, dateFormat: 'iso', columns: { email: 'email' } }).catch((e: unknown) => e);
    expect(classifyError(error).message).toContain(`${path}:2: no column "email"`);
  });

  it('imports training completions from JSON and from a glob of CSV files', async () => {
    const json = write('lms.json', JSON.stringify([{ Learner: 'A@acme.example', Course: 'Security Awareness 2026', Completed: '2026-02-03' }]));
    const a = await collect({ kind: 'training.completion', path: json, dateFormat: 'iso', columns: { email: 'Learner', course: 'Course', completedAt: 'Completed' } });
    expect(a.map((r) => [r.subject, r.payload])).toEqual([
      ['a@acme.example|Security Awareness 2026|2026-02-03', { email: 'a@acme.example', name: null, course: 'Security Awareness 2026', completedAt: '2026-02-03', source: { file: json, line: 1 } }],
    ]);
    write('lms-2025.csv', 'Learner,Course,Completed\nb@acme.example,Awareness,12/01/2025\n');
    write('lms-2026.csv', 'Learner,Course,Completed\nb@acme.example,Awareness,11/01/2026\n');
    const b = await collect({ kind: 'training.completion', path: join(dir, 'lms-*.csv'), dateFormat: 'mm/dd/yyyy', columns: { email: 'Learner', course: 'Course', completedAt: 'Completed' } });
    expect(b.map((r) => r.subject)).toEqual(['b@acme.example|Awareness|2025-12-01', 'b@acme.example|Awareness|2026-11-01']);
    const none = await collect({ kind: 'training.completion', path: join(dir, 'nothing-*.csv'), dateFormat: 'iso', columns: { email: 'e', course: 'c', completedAt: 'd' } }).catch((e: unknown) => e);
    expect(classifyError(none)).toEqual({ code: 'not_found', message: `training.completion import: no file matches ${join(dir, 'nothing-*.csv')}` });
  });
});

describe('file import through the pipeline', () => {
  it('keeps the earlier good import when a later file has a bad row (the failed outcome loads nothing)', async () => {
    const path = join(dir, 'pipeline-roster.csv');
    const config = parseConfig(
      {
        store: { path: join(dir, 'evidence.db') },
        connectors: [{ id: 'hr', type: 'file', kind: 'people.roster', path, dateFormat: 'iso', columns: { email: 'email', endDate: 'end' } }],
      },
      '<test>',
      connectorRegistry,
      { env: {}, readFile: () => '', redactor: new Redactor() },
    );
    // Only the roster collector applies to a people.roster instance.
    expect(planCollection(config).instances[0]!.collectors.map((c) => c.id)).toEqual(['roster']);
    expect(() => planCollection(config, ['hr:training_completions'])).toThrow('--only hr:training_completions: connector hr has no collector "training_completions" (it has: roster)');
    const store = openSqliteStore(config.storePath);
    const run = () => runCollection({ plan: planCollection(config), store, fetch: globalThis.fetch, clock: new FakeClock(), logger: silentLogger(), redactor: new Redactor(), command: 'test' });
    try {
      writeFileSync(path, 'email,end\na@acme.example,\nb@acme.example,2026-01-31\n');
      expect((await run()).status).toBe('complete');
      writeFileSync(path, 'email,end\na@acme.example,\nc@acme.example,2026-01-31\nbroken,\n');
      const second = await run();
      expect(second.status).toBe('failed');
      expect(second.outcomes[0]).toMatchObject({ status: 'failed', recordCount: 0, errorCode: 'invalid_payload' });
      const [latest] = await store.latest('people.roster.v1', { instanceId: 'hr' });
      expect(latest!.latestOutcome.status).toBe('failed');
      expect(latest!.records.map((r) => r.subject)).toEqual(['a@acme.example', 'b@acme.example']);
    } finally {
      await store.close();
    }
  });
});
