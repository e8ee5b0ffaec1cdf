import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, rmSync } from 'node:fs';

/**
 * Copies a store (the file and its WAL) and flushes the copy to disk before returning: the
 * checkpoints the `store` part keeps, and the copies `annexa check` is timed on. A store at rest
 * has nothing unwritten; a fresh copy has all of it, and the first commit on the copy would wait
 * for the filesystem to write it out (55 ms for a 113 MB store on the bench machine), which is not
 * what the command costs.
 */
export function copyStoreAtRest(path: string, copy: string): void {
  for (const suffix of ['', '-wal']) {
    if (!existsSync(`${path}${suffix}`)) continue;
    copyFileSync(`${path}${suffix}`, `${copy}${suffix}`);
    const fd = openSync(`${copy}${suffix}`, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** Removes a copy made by {@link copyStoreAtRest}, with the files SQLite and the writer lock add. */
export function removeStoreCopy(copy: string): void {
  for (const suffix of ['', '-wal', '-shm', '.lock']) rmSync(`${copy}${suffix}`, { force: true });
}
