import { openSync, writeSync, closeSync, readFileSync, unlinkSync, statSync } from 'node:fs';
import { hostname } from 'node:os';

/** Raised when another process holds the writer lock. */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError';
}

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

/** A held writer lock; `release` is idempotent. */
export interface WriterLock {
  release(): void;
}

/**
 * Takes the single-writer lock for an evidence store: a `<db>.lock` file created exclusively.
 * A lock left by a process that no longer exists on this host is taken over (a crashed cron
 * run must not block the next one forever); a live holder makes this throw.
 */
export function acquireWriterLock(dbPath: string, command: string): WriterLock {
  const lockPath = `${dbPath}.lock`;
  const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(lockPath);
        } catch {
          // Already gone: nothing to release.
        }
        process.removeListener('exit', release);
      };
      process.on('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(lockPath);
      const deadHolder = holder !== undefined && holder.host === info.host && !isAlive(holder.pid);
      // A crash between creating the file and writing it leaves it empty; after a grace period
      // (the writer may still be between the two calls) it cannot belong to a live process.
      const unreadableAndOld = holder === undefined && ageMs(lockPath) > 60_000;
      if (deadHolder || unreadableAndOld) {
        unlinkSync(lockPath);
        continue;
      }
      const who = holder
        ? `pid ${holder.pid} on ${holder.host}, running "${holder.command}" since ${holder.startedAt}`
        : 'an unknown process';
      throw new StoreLockedError(
        `another Annexa process is writing to ${dbPath} (${who}). Only one collect writes at a time; ` +
          `wait for it to finish, or delete ${lockPath} if that process is gone.`,
      );
    }
  }
  throw new StoreLockedError(`could not take the writer lock ${lockPath}`);
}

function readHolder(lockPath: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(lockPath, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
