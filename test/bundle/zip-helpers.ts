import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { openZip, readEntry } from '../../src/bundle/zip.js';

/** Every entry of a zip, in order, as bytes. */
export async function readZip(file: string): Promise<Map<string, Buffer>> {
  const zip = await openZip(file);
  try {
    const out = new Map<string, Buffer>();
    for (const entry of zip.entries) out.set(entry.name, await readEntry(entry));
    return out;
  } finally {
    zip.close();
  }
}

/** Writes entries as a new, well-formed zip (as someone re-packing an edited bundle would). */
export async function writeZipEntries(file: string, entries: ReadonlyMap<string, Buffer>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of entries) zip.addBuffer(data, name);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}
