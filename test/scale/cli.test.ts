import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../cli/helpers.js';

const tmp = tempDir('annexa-scale-cli-');
afterAll(() => tmp.cleanup());

describe('schedule and worker need the PostgreSQL store', () => {
  it.each([['schedule'], ['worker'], ['worker', '--healthcheck']])('annexa %s with a SQLite store is a usage error naming the file and key', async (...args) => {
    const config = join(tmp.dir, 'annexa.yaml');
    writeFileSync(config, 'store:\n  path: ./e.db\nconnectors: []\n');
    const out = await runCli([...args, '--config', config], tmp.dir);
    expect(out).toMatchObject({ code: 2, stdout: '' });
    expect(out.stderr).toBe(`annexa: ${config}: store: distributed collection needs the PostgreSQL store (store: { url: \${ANNEXA_DATABASE_URL} }), not a SQLite file\n`);
  });

  it('rejects a bad --concurrency and --every', async () => {
    expect(await runCli(['worker', '--concurrency', '0'], tmp.dir)).toMatchObject({ code: 2, stderr: 'annexa: --concurrency 0: expected a positive number\n' });
    expect(await runCli(['schedule', '--every', 'daily'], tmp.dir)).toMatchObject({ code: 2, stderr: 'annexa: --every daily: expected an interval like 30m or 24h\n' });
  });
});
