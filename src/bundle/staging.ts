import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { once } from 'node:events';

/** A file written into the bundle: its path inside the bundle, digest and size. */
export interface BundleFile {
  path: string;
  sha256: string;
  size: number;
}

/** A staged file: where its bytes are on disk, and the bundle paths it appears under. */
export interface StagedFile extends BundleFile {
  diskPath: string;
}

/** An open staged file: write text or bytes (awaiting back-pressure), then `close()`. */
export interface StagedWriter {
  write(chunk: string | Uint8Array): Promise<void>;
  close(): Promise<StagedFile>;
}

/**
 * The bundle is staged file by file in a private folder, each file hashed as it is written, then
 * zipped as a stream: memory stays flat however long the period, and the manifest can list every
 * file's digest before anything is signed.
 */
export class Staging {
  private readonly files = new Map<string, StagedFile>();
  /** Staged files are named by a counter on disk: bundle paths never reach the file system. */
  private counter = 0;

  constructor(readonly dir: string) {}

  /** Opens a file for streaming writes. */
  open(path: string): StagedWriter {
    assertBundlePath(path);
    if (this.files.has(path)) throw new Error(`bundle file ${path} written twice`);
    const diskPath = join(this.dir, 'files', String(this.counter++));
    mkdirSync(dirname(diskPath), { recursive: true });
    const stream: WriteStream = createWriteStream(diskPath);
    const hash = createHash('sha256');
    let size = 0;
    return {
      write: async (chunk) => {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        hash.update(bytes);
        size += bytes.length;
        if (!stream.write(bytes)) await once(stream, 'drain');
      },
      close: async () => {
        stream.end();
        await once(stream, 'finish');
        const file: StagedFile = { path, sha256: hash.digest('hex'), size, diskPath };
        this.files.set(path, file);
        return file;
      },
    };
  }

  /** Writes a whole file at once (small files: JSON, CSV, HTML). */
  async write(path: string, content: string | Uint8Array): Promise<StagedFile> {
    const writer = this.open(path);
    await writer.write(content);
    return writer.close();
  }

  /** Streams bytes into a file (manual evidence from the store). */
  async copy(path: string, content: AsyncIterable<Uint8Array>): Promise<StagedFile> {
    const writer = this.open(path);
    for await (const chunk of content) await writer.write(chunk);
    return writer.close();
  }

  /** The same bytes under a second bundle path (a check's results in each control folder it serves). */
  alias(path: string, of: StagedFile): StagedFile {
    assertBundlePath(path);
    if (this.files.has(path)) throw new Error(`bundle file ${path} written twice`);
    const file = { ...of, path };
    this.files.set(path, file);
    return file;
  }

  get(path: string): StagedFile | undefined {
    return this.files.get(path);
  }

  /** Every staged file, sorted by bundle path. */
  list(): StagedFile[] {
    return [...this.files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/** Bundle paths: relative, forward slashes, no `..`, no characters `sha256sum -c` would escape. */
export function assertBundlePath(path: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/.test(path) || path.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`invalid bundle path ${JSON.stringify(path)}`);
  }
}

/** A safe bundle path segment from any name (a manual evidence file name, a subject). */
export function safeSegment(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '');
  return (cleaned || 'file').slice(0, 120);
}
