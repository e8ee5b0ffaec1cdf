import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, utimesSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireWriterLock, StoreLockedError } from '../../storage/lock.js';

describe('writer lock with an unreadable lock file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'annexa-lock-'));
  afterEach(() => rmSync(join(dir, 'x.db.lock'), { force: true }));

  it('refuses while an empty lock file is recent (its writer may be between create and write)', () => {
    writeFileSync(join(dir, 'x.db.lock'), '');
    expect(() => acquireWriterLock(join(dir, 'x.db'), 'test')).toThrow(StoreLockedError);
  });

  it('takes over an empty lock file older than the grace period, and releases it', () => {
    const lockPath = join(dir, 'x.db.lock');
    writeFileSync(lockPath, '');
    const old = new Date(Date.now() - 5 * 60_000);
    utimesSync(lockPath, old, old);
    const lock = acquireWriterLock(join(dir, 'x.db'), 'test');
    expect(existsSync(lockPath)).toBe(true);
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
  });
});
