import { describe, expect, it } from 'vitest';
import { changeRows, decodeTree, encodeTree, toRowTexts, treeDigest } from '../../storage/trees.js';

/** A deterministic pseudo-random sequence (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('trees', () => {
  it('a delta chain decodes to exactly the rows encoded, however rows are dropped and added', () => {
    const next = random(7);
    let rows = toRowTexts(Array.from({ length: 400 }, (_, i) => [`subject-${i}`, `digest-${i}`]));
    let stored = encodeTree(rows);
    expect(stored.digest).toBe(treeDigest(rows));
    let decoded = decodeTree(stored.data);
    expect(decoded).toEqual(rows);
    for (let day = 1; day <= 20; day++) {
      // Change a few rows, drop a few, add a few, at random places (first and last included).
      const changed = rows
        .filter(() => next() > 0.03)
        .map((row) => (next() < 0.02 ? row.replace('digest', `digest-day-${day}`) : row));
      const added = Array.from({ length: 1 + Math.floor(next() * 5) }, (_, i) => JSON.stringify([`${i % 2 ? 'a' : 'z'}-new-${day}-${i}`, 'x']));
      const after = toRowTexts([...changed, ...added].map((t) => JSON.parse(t) as unknown));
      const encoded = encodeTree(after, { digest: stored.digest, depth: stored.depth, rows: decoded });
      expect(encoded.base).toBe(stored.digest);
      expect(encoded.depth).toBe(stored.depth + 1);
      expect(encoded.digest).toBe(treeDigest(after));
      decoded = decodeTree(encoded.data, decoded);
      expect(decoded).toEqual(after);
      [rows, stored] = [after, encoded];
    }
  });

  it('a delta that does not fit its base is refused, not applied', () => {
    const base = toRowTexts([['a'], ['b'], ['c']]);
    expect(() => decodeTree('{"add":[],"drop":[5]}', base)).toThrow(/does not fit its base/);
    expect(() => decodeTree('{"add":[["d"]],"drop":[2,1]}', base)).toThrow(/does not fit its base/);
    expect(decodeTree('{"add":[["bb"]],"drop":[0]}', base)).toEqual(['["b"]', '["bb"]', '["c"]']);
  });
});

describe('changeRows', () => {
  // Subjects that make reading one from a row's text hard: quotes, backslashes (one ends with one), escapes, text outside ASCII, a prefix of another.
  const subjects = ['a', 'a b', 'a"b', 'ends with \\', 'tab\there', 'line\nbreak', 'é ünïcode', '\\"', 'a/b/c', ''];
  const row = (subject: string, n: number) => [subject, `digest-${n}`, [n % 3]];

  it('lists every subject of a first run once, with its rows, ordered by subject; the subjects read from the rows text are the stored ones', () => {
    const rows = toRowTexts(subjects.flatMap((s, i) => [row(s, i), ...(i % 2 ? [row(s, i + 100)] : [])]));
    const changes = changeRows([], rows);
    expect(changes.map(([s]) => s)).toEqual([...subjects].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const [subject, entry] of changes) {
      const parsed = JSON.parse(entry!) as [string, string, number[]][];
      expect(parsed.every((r) => r[0] === subject)).toBe(true);
      expect(parsed.length).toBe(subjects.indexOf(subject) % 2 ? 2 : 1);
    }
  });

  it('lists only subjects whose rows changed, and gone subjects as null', () => {
    const before = toRowTexts(subjects.map((s, i) => row(s, i)));
    const after = toRowTexts(subjects.filter((s) => s !== 'a"b').map((s) => row(s, s === 'ends with \\' ? 99 : subjects.indexOf(s))));
    const changes = Object.fromEntries(changeRows(before, after));
    expect(Object.keys(changes).sort()).toEqual(['a"b', 'ends with \\']);
    expect(changes['a"b']).toBeNull();
    expect(JSON.parse(changes['ends with \\']!)).toEqual([['ends with \\', 'digest-99', [0]]]);
  });
});
