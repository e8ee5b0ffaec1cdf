import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../storage/sqlite-store.js';

describe('lastCheckRun', () => {
  const dir = mkdtempSync(join(tmpdir(), 'annexa-checkruns-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the newest run with check results, optionally before a date, ignoring other runs', async () => {
    const store = openSqliteStore(join(dir, 'e.db'));
    expect(await store.lastCheckRun()).toBeUndefined();
    const ids: string[] = [];
    for (const [day, withResults] of [['2026-01-01', true], ['2026-01-02', true], ['2026-01-03', false]] as const) {
      const writer = await store.startRun({ command: 'test', toolVersion: 't', startedAt: new Date(`${day}T00:00:00Z`) });
      if (withResults) {
        await writer.addCheckResults([{ checkId: 'c', instanceId: 'i', subject: 's', status: 'pass', message: 'm', asOf: new Date(`${day}T00:00:00Z`), evidence: [] }]);
      }
      ids.push(writer.runId);
      await writer.finish('complete', new Date(`${day}T00:01:00Z`));
    }
    expect(await store.lastCheckRun()).toEqual({ runId: ids[1], startedAt: '2026-01-02T00:00:00.000Z' });
    expect(await store.lastCheckRun({ before: new Date('2026-01-02T00:00:00Z') })).toEqual({ runId: ids[0], startedAt: '2026-01-01T00:00:00.000Z' });
    expect(await store.lastCheckRun({ before: new Date('2026-01-01T00:00:00Z') })).toBeUndefined();
    await store.close();
  });
});
