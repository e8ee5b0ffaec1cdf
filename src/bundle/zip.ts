import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import yauzl from 'yauzl';

/**
 * Writes staged files into a zip as one stream (yazl reads each file from disk in turn), to a
 * temporary name renamed into place at the end: a crash never leaves a half-written bundle.
 */
export async function writeZip(out: string, files: readonly { path: string; diskPath: string }[], mtime: Date): Promise<number> {
  const partial = `${out}.partial`;
  const zip = new yazl.ZipFile();
  for (const file of files) zip.addFile(file.diskPath, file.path, { mtime, mode: 0o100644 });
  zip.end();
  try {
    const sink = createWriteStream(partial, { flags: 'wx' });
    await pipeline(zip.outputStream, sink);
    renameSync(partial, out);
    return sink.bytesWritten;
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/** One entry of a zip being read. */
export interface ZipEntryReader {
  name: string;
  size: number;
  /** The entry's bytes, as a stream (CRC-checked by yauzl). */
  open(): Promise<NodeJS.ReadableStream>;
}

/** Lists a zip's entries in order, lazily; call `close()` when done. */
export async function openZip(file: string): Promise<{ entries: ZipEntryReader[]; close(): void }> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true }, (error, z) => (error ? reject(error) : resolve(z))),
  );
  const entries: ZipEntryReader[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push({
        name: entry.fileName,
        size: entry.uncompressedSize,
        open: () =>
          new Promise((res, rej) => zip.openReadStream(entry, (error, stream) => (error ? rej(error) : res(stream)))),
      });
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
  return { entries, close: () => zip.close() };
}

/** Reads a whole (small) entry into memory. */
export async function readEntry(entry: ZipEntryReader, limit = 256 * 1024 * 1024): Promise<Buffer> {
  const stream = await entry.open();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error(`${entry.name} is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
