import { sha256Hex } from '../src/core/canonical.js';

/**
 * Trees: sorted lists of small JSON rows (a collection's `[subject, payload digest, request
 * indexes, attachment?]`, a check evaluation's `[subject, status, message]`), addressed by the
 * sha256 of their canonical JSON. Equal content, equal digest: an unchanged collection is the same
 * tree as the day before and is stored once.
 *
 * A tree that differs a little from an earlier one is stored as a delta against it (positions to
 * drop, rows to add), so a day on which 1% of records changed stores about 1% of a tree. Chains
 * are capped at {@link maxDeltaDepth}, so reading any tree applies at most that many deltas. The
 * digest always covers the full row list, however it is stored.
 */

/** One row, kept as its JSON text (which is also its sort key). */
export type RowText = string;

/** A tree as stored: a full row list, or a delta against `base`. */
export interface StoredTree {
  digest: string;
  base: string | null;
  depth: number;
  rowCount: number;
  /** JSON: `[row, ...]` when full; `{"add":[row, ...],"drop":[position, ...]}` when a delta. */
  data: string;
}

/** Deltas chain at most this deep before a full copy is stored again. */
export const maxDeltaDepth = 32;

/** Sorts rows into canonical order and returns their JSON texts. */
export function toRowTexts(rows: readonly unknown[]): RowText[] {
  return rows.map((row) => JSON.stringify(row)).sort(compareText);
}

/** The digest of a tree: sha256 of `[row,row,...]`, the canonical JSON of the sorted rows. */
export function treeDigest(rows: readonly RowText[]): string {
  return sha256Hex(`[${rows.join(',')}]`);
}

/** Code-unit order, the order rows and subjects are sorted and hashed in. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Encodes sorted `rows` for storage: a delta against `base` when that is less than half the size
 * of a full copy and the chain stays short, otherwise the full list. `digest`: the rows' tree digest
 * when the caller has computed it already.
 */
export function encodeTree(rows: readonly RowText[], base?: { digest: string; depth: number; rows: readonly RowText[] }, digest?: string): StoredTree {
  if (base && base.depth < maxDeltaDepth) {
    const { add, drop } = diffSorted(base.rows, rows);
    if ((add.length + drop.length) * 2 < rows.length) {
      return { digest: digest ?? treeDigest(rows), base: base.digest, depth: base.depth + 1, rowCount: rows.length, data: `{"add":[${add.join(',')}],"drop":[${drop.join(',')}]}` };
    }
  }
  // The full list is the text the digest covers: joined once (at scale 50 a tree's text is up to 6.5 MB).
  const data = `[${rows.join(',')}]`;
  return { digest: digest ?? sha256Hex(data), base: null, depth: 0, rowCount: rows.length, data };
}

/** Rebuilds a tree's rows from its stored data and (for a delta) its base's rows. */
export function decodeTree(data: string, baseRows?: readonly RowText[]): RowText[] {
  if (data.startsWith('[')) return splitRows(data) ?? (JSON.parse(data) as unknown[]).map((row) => JSON.stringify(row));
  const parsed = JSON.parse(data) as { add: unknown[]; drop: number[] };
  if (!baseRows) throw new Error('a delta tree needs its base');
  return applyDelta(baseRows, parsed.drop, parsed.add.map((row) => JSON.stringify(row)));
}

/**
 * The base's rows without the positions in `drop` (ascending, as {@link diffSorted} gives them),
 * merged with `add` (sorted): one pass, since reading a tree at the end of a delta chain applies
 * every delta of the chain.
 */
function applyDelta(base: readonly RowText[], drop: readonly number[], add: readonly RowText[]): RowText[] {
  const out: RowText[] = new Array<RowText>(base.length - drop.length + add.length);
  let n = 0;
  let d = 0;
  let i = 0;
  // Each added row goes before the first base row after it, found by bisection: a day's delta adds
  // a few rows to thousands, so comparing every base row would cost more than the copy.
  for (let j = 0; j <= add.length; j++) {
    const until = j < add.length ? firstAfter(base, add[j]!, i) : base.length;
    for (; i < until; i++) {
      if (d < drop.length && drop[d] === i) d++;
      else out[n++] = base[i]!;
    }
    if (j < add.length) out[n++] = add[j]!;
  }
  if (d !== drop.length || n !== out.length) throw new Error('a delta tree does not fit its base');
  return out;
}

/** The first position at or after `from` in sorted `rows` whose row sorts after `row`. */
function firstAfter(rows: readonly RowText[], row: RowText, from: number): number {
  let low = from;
  let high = rows.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareText(rows[middle]!, row) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The row texts of a full tree's data, `[row,row,...]`, cut at the row boundaries instead of parsed
 * and written again: the data is the rows' own JSON texts joined, so each slice is exactly the text
 * `JSON.stringify` gave (about twice as fast for a large tree). `undefined` when an element is not
 * an array (never written so; the caller then parses).
 */
function splitRows(data: string): RowText[] | undefined {
  const rows: RowText[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  for (let i = 1; i < data.length - 1; i++) {
    const c = data.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b) {
      if (depth++ === 0) start = i;
    } else if (c === 0x5d) {
      if (--depth === 0) rows.push(data.slice(start, i + 1));
    } else if (depth === 0 && c !== 0x2c) return undefined;
  }
  return depth === 0 ? rows : undefined;
}

/** Rows only in `after` (add) and positions in `before` of rows not in `after` (drop). Both sorted. */
export function diffSorted(before: readonly RowText[], after: readonly RowText[]): { add: RowText[]; drop: number[] } {
  const add: RowText[] = [];
  const drop: number[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const c = i >= before.length ? 1 : j >= after.length ? -1 : compareText(before[i]!, after[j]!);
    if (c === 0) {
      i++;
      j++;
    } else if (c < 0) drop.push(i++);
    else add.push(after[j++]!);
  }
  return { add, drop };
}

/**
 * Change-index rows between two sorted trees of a stream: per subject whose rows differ, the new
 * rows as JSON (`null` when the subject is gone), ordered by subject like the seal hashes them.
 */
export function changeRows(before: readonly RowText[], after: readonly RowText[]): [string, string | null][] {
  const group = (rows: readonly RowText[]) => {
    const bySubject = new Map<string, RowText[]>();
    for (const row of rows) {
      const subject = subjectOfRow(row);
      const list = bySubject.get(subject);
      if (list) list.push(row);
      else bySubject.set(subject, [row]);
    }
    return bySubject;
  };
  const was = group(before);
  const now = group(after);
  const out: [string, string | null][] = [];
  for (const [subject, rows] of now) {
    const entry = `[${rows.join(',')}]`;
    const old = was.get(subject);
    if (!old || `[${old.join(',')}]` !== entry) out.push([subject, entry]);
  }
  for (const subject of was.keys()) if (!now.has(subject)) out.push([subject, null]);
  return out.sort(([a], [b]) => compareText(a, b));
}

/**
 * The subject of a record row (`["subject",...]`), read from the row's text alone: parsing every
 * row whole (its digest and request indexes too) for its subject made a first run's change rows
 * cost about four times the rows' size in short-lived memory (21.7 MB for 18,000 rows).
 */
function subjectOfRow(row: RowText): string {
  // The first string's closing quote is the first one not escaped (preceded by an even number of backslashes).
  for (let quote = row.indexOf('"', 2); quote > 0; quote = row.indexOf('"', quote + 1)) {
    let slashes = 0;
    while (row.charCodeAt(quote - 1 - slashes) === 92) slashes++;
    if (slashes % 2 !== 0) continue;
    // Without escapes the text between the quotes is the subject; with them, JSON reads it.
    const escape = row.indexOf('\\', 2);
    return escape < 0 || escape > quote ? row.slice(2, quote) : (JSON.parse(row.slice(1, quote + 1)) as string);
  }
  throw new Error(`not a record row: ${row.slice(0, 80)}`);
}

/** Parses row texts at once (one JSON.parse is much faster than one per row). */
export function parseRows<Row>(rows: readonly RowText[]): Row[] {
  return JSON.parse(`[${rows.join(',')}]`) as Row[];
}

/** A small least-recently-used cache of rebuilt trees, so reads and verify do not rebuild chains. */
export class TreeCache {
  private readonly entries = new Map<string, RowText[]>();
  constructor(private readonly capacity = 24) {}
  get(digest: string): RowText[] | undefined {
    const rows = this.entries.get(digest);
    if (rows) {
      this.entries.delete(digest);
      this.entries.set(digest, rows);
    }
    return rows;
  }
  set(digest: string, rows: RowText[]): void {
    this.entries.delete(digest);
    this.entries.set(digest, rows);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
  clear(): void {
    this.entries.clear();
  }
  /** Rows held, over all cached trees. */
  get rowCount(): number {
    let n = 0;
    for (const rows of this.entries.values()) n += rows.length;
    return n;
  }
}
