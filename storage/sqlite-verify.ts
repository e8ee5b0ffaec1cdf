import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { sha256Hex } from '../src/core/canonical.js';
import { hashV1RunContent, type ManifestV1 } from './sqlite-schema.js';
import { sealDifferences } from './seal-diff.js';
import { TreeCache, decodeTree, diffSorted, parseRows, treeDigest, type RowText } from './trees.js';
import type { RecordRow } from './collection.js';
import { digestsOf, evaluationRows } from './check-runs.js';
import type { VerifyProblem, VerifyReport } from './evidence-store.js';
import { genesisHash, hashCollections, runHash, type RunManifest, type RunRow, type SealRow, type SqliteEvidenceStore } from './sqlite-store.js';

interface Place {
  run_id: string;
  seq: number;
  kind: string;
}

/**
 * `verify` for the SQLite store, read-only and in passes whose memory does not grow with the
 * number of runs: every blob re-hashed; every tree rebuilt through its delta chain and re-hashed,
 * its payloads and attachments present; every file rebuilt from its chunks; then the run chain,
 * each seal recomputed from the rows it covers (schema-1 seals from schema-1 rows, and the rows an
 * upgrade derived from them re-derived and compared).
 */
export function verifySqliteStore(store: SqliteEvidenceStore): VerifyReport {
  const v2 = store.schemaVersion >= 2;
  const blobs = verifyBlobs(store, v2);
  const files = verifyFiles(store, v2);
  const trees = v2 ? verifyTrees(store, blobs.present, files.present) : { checked: 0, problems: [] };
  if (store.schemaVersion >= 3) blobs.problems.push(...missingEvidence(store, blobs.present));
  const chain = verifyChain(store, v2);
  const problems = [...blobs.problems, ...trees.problems, ...files.problems, ...chain.problems];
  return {
    ok: problems.length === 0,
    blobsChecked: blobs.checked + trees.checked + files.checked,
    runsChecked: chain.runsChecked,
    ...(chain.headHash ? { headHash: chain.headHash } : {}),
    unsealedRuns: chain.unsealedRuns,
    problems,
  };
}

const short = (digest: string) => digest.slice(0, 12);

/** Where a blob is used: the runs and kinds (or check results) that reference it, oldest first. */
function blobUsers(store: SqliteEvidenceStore, digest: string, v2: boolean): Place[] {
  const db = store.db;
  const places = db
    .prepare(
      `SELECT DISTINCT r.id AS run_id, r.seq, o.kind FROM observations o JOIN runs r ON r.seq = o.run_seq WHERE o.digest = ? OR o.provenance = ?
       UNION SELECT DISTINCT r.id, r.seq, 'check results' FROM check_results c JOIN runs r ON r.seq = c.run_seq WHERE c.evidence = ?`,
    )
    .all(digest, digest, digest) as Place[];
  if (v2) {
    const like = `%${digest}%`;
    places.push(
      ...(db
        .prepare(
          `SELECT DISTINCT r.id AS run_id, r.seq, s.kind FROM collections c JOIN streams s ON s.id = c.stream_id JOIN runs r ON r.seq = c.run_seq
           WHERE c.provenance = ? OR c.id IN (SELECT collection_id FROM subject_changes WHERE entry LIKE ?)
           UNION SELECT DISTINCT r.id, r.seq, 'check results' FROM check_evaluations e JOIN runs r ON r.seq = e.run_seq WHERE e.evidence = ?`,
        )
        .all(digest, like, digest) as Place[]),
    );
  }
  if (store.schemaVersion >= 3) places.push(...checkRunsNaming(store, { evidence: digest }));
  return uniquePlaces(places);
}

/** Check runs (schema 3) whose evidence list, evaluation tree, or one of whose result trees is `digest`. */
function checkRunsNaming(store: SqliteEvidenceStore, digest: { evidence: string } | { tree: string }): Place[] {
  if ('evidence' in digest) {
    return store.db
      .prepare(`SELECT DISTINCT r.id AS run_id, r.seq, 'check results' AS kind FROM check_runs c JOIN runs r ON r.seq = c.run_seq WHERE instr(c.evidence, ?) > 0`)
      .all(Buffer.from(digest.evidence, 'hex')) as Place[];
  }
  const places: Place[] = [];
  const rows = store.db.prepare(`SELECT r.id AS run_id, r.seq, lower(hex(c.evaluations)) AS tree FROM check_runs c JOIN runs r ON r.seq = c.run_seq ORDER BY c.id`).all() as (Place & {
    tree: string;
  })[];
  for (const row of rows) {
    let named = row.tree === digest.tree;
    if (!named) {
      try {
        named = evaluationRows(store.treeRows(row.tree)).some((e) => e[4] === digest.tree);
      } catch {
        named = false; // an unreadable evaluation tree is reported for itself
      }
    }
    if (named) places.push({ run_id: row.run_id, seq: row.seq, kind: 'check results' });
  }
  return places;
}

/** Every evidence blob a check run (schema 3) names must be there (a modified one is reported as such). */
function missingEvidence(store: SqliteEvidenceStore, present: Set<string>): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  const exists = store.db.prepare('SELECT 1 FROM blobs WHERE digest = ?');
  for (const c of store.db.prepare('SELECT r.id AS run_id, r.seq, c.evidence FROM check_runs c JOIN runs r ON r.seq = c.run_seq ORDER BY c.id').iterate() as IterableIterator<
    Place & { evidence: Buffer }
  >) {
    for (const digest of new Set(digestsOf(c.evidence))) {
      if (present.has(digest) || exists.get(digest)) continue;
      problems.push({
        problem: 'blob_missing',
        digest,
        runId: c.run_id,
        runSeq: c.seq,
        kind: 'check results',
        message: `evidence ${short(digest)} of check results in run ${c.run_id} is missing (blob row deleted)`,
      });
    }
  }
  return problems;
}

function uniquePlaces(places: Place[]): Place[] {
  const seen = new Map(places.map((p) => [`${p.seq}\u0000${p.kind}`, p]));
  return [...seen.values()].sort((a, b) => a.seq - b.seq || a.kind.localeCompare(b.kind));
}

/** Every blob must hash to its address, and every blob a row refers to must exist. */
function verifyBlobs(store: SqliteEvidenceStore, v2: boolean): { checked: number; present: Set<string>; problems: VerifyProblem[] } {
  const db = store.db;
  const problems: VerifyProblem[] = [];
  const present = new Set<string>();
  /** Request-templates digest → a provenance that names it (to locate the templates' users). */
  const templates = new Map<string, string>();
  const mismatched: string[] = [];
  let checked = 0;
  const plain = db.prepare('SELECT digest, json FROM blobs').raw().iterate() as IterableIterator<[string, string]>;
  const packed = v2 ? (db.prepare('SELECT digest, data FROM packed_blobs').raw().iterate() as IterableIterator<[string, Buffer]>) : [];
  const all = function* (): Generator<[string, string]> {
    yield* plain;
    for (const [digest, data] of packed) {
      let json: string;
      try {
        json = inflateRawSync(data).toString('utf8');
      } catch {
        json = '';
      }
      yield [digest, json];
    }
  };
  for (const [digest, json] of all()) {
    checked++;
    // A collection's provenance names its request templates near its end (keys are sorted).
    const template = /"templates":"([0-9a-f]{64})","tool":/.exec(json.slice(-400))?.[1];
    if (template && !templates.has(template)) templates.set(template, digest);
    if (sha256Hex(json) === digest) present.add(digest);
    else mismatched.push(digest);
  }
  const usersOf = (digest: string) => {
    const via = templates.get(digest);
    return uniquePlaces([...blobUsers(store, digest, v2), ...(via ? blobUsers(store, via, v2) : [])]);
  };
  for (const digest of mismatched) {
    const users = usersOf(digest);
    if (users.length === 0) {
      problems.push({ problem: 'blob_hash_mismatch', digest, message: `blob ${short(digest)} does not match its hash (referenced by nothing)` });
    }
    for (const u of users) {
      problems.push({
        problem: 'blob_hash_mismatch',
        digest,
        runId: u.run_id,
        runSeq: u.seq,
        kind: u.kind,
        message: `payload ${short(digest)} of ${u.kind} in run ${u.run_id} was modified: its content no longer hashes to its address`,
      });
    }
  }
  const referenced = `SELECT run_seq, kind, digest FROM observations
    UNION ALL SELECT run_seq, kind, provenance FROM observations
    UNION ALL SELECT run_seq, 'check results', evidence FROM check_results`;
  const referencedV2 = `${referenced}
    UNION ALL SELECT c.run_seq, s.kind, c.provenance FROM collections c JOIN streams s ON s.id = c.stream_id
    UNION ALL SELECT run_seq, 'check results', evidence FROM check_evaluations`;
  const missing = db
    .prepare(
      `SELECT DISTINCT r.id AS run_id, r.seq, d.kind, d.digest FROM (${v2 ? referencedV2 : referenced}) d
       JOIN runs r ON r.seq = d.run_seq LEFT JOIN blobs b ON b.digest = d.digest WHERE b.digest IS NULL
       ${v2 ? 'AND NOT EXISTS (SELECT 1 FROM packed_blobs p WHERE p.digest = d.digest)' : ''} ORDER BY r.seq`,
    )
    .all() as (Place & { digest: string })[];
  for (const m of missing) {
    problems.push({
      problem: 'blob_missing',
      digest: m.digest,
      runId: m.run_id,
      runSeq: m.seq,
      kind: m.kind,
      message: `payload ${short(m.digest)} of ${m.kind} in run ${m.run_id} is missing (blob row deleted)`,
    });
  }
  for (const digest of templates.keys()) {
    if (present.has(digest) || mismatched.includes(digest)) continue;
    for (const u of usersOf(digest)) {
      problems.push({ problem: 'blob_missing', digest, runId: u.run_id, runSeq: u.seq, kind: u.kind, message: `request templates ${short(digest)} of ${u.kind} in run ${u.run_id} are missing (blob row deleted)` });
    }
  }
  return { checked, present, problems };
}

/** Where a tree is used: the collections (run, kind), check evaluations and check runs that point at it. */
function treeUsers(store: SqliteEvidenceStore, digest: string): Place[] {
  return uniquePlaces([
    ...(store.db
      .prepare(
        `SELECT r.id AS run_id, r.seq, s.kind FROM collections c JOIN streams s ON s.id = c.stream_id JOIN runs r ON r.seq = c.run_seq WHERE c.tree = ?
         UNION SELECT r.id, r.seq, 'check results' FROM check_evaluations e JOIN runs r ON r.seq = e.run_seq WHERE e.results = ?`,
      )
      .all(digest, digest) as Place[]),
    ...(store.schemaVersion >= 3 ? checkRunsNaming(store, { tree: digest }) : []),
  ]);
}

/**
 * Every tree, rebuilt in write order (a delta's base is always older) and re-hashed; every record
 * row's payload and attachment present; every tree a collection or evaluation names present.
 */
function verifyTrees(store: SqliteEvidenceStore, blobs: Set<string>, files: Set<string>): { checked: number; problems: VerifyProblem[] } {
  const db = store.db;
  const problems: VerifyProblem[] = [];
  const recordTrees = new Set(db.prepare('SELECT DISTINCT tree FROM collections').pluck().all() as string[]);
  const cache = new TreeCache(48);
  const rowsOf = (digest: string): RowText[] | undefined => {
    const cached = cache.get(digest);
    if (cached) return cached;
    const row = db.prepare('SELECT base, data FROM trees WHERE digest = ?').get(digest) as { base: string | null; data: string } | undefined;
    if (!row) return undefined;
    const base = row.base ? rowsOf(row.base) : undefined;
    if (row.base && !base) return undefined;
    return decodeTree(row.data, base);
  };
  let checked = 0;
  const missingPayloads = new Map<string, string>();
  for (const { digest, base, data } of db.prepare('SELECT digest, base, data FROM trees ORDER BY id').iterate() as IterableIterator<{ digest: string; base: string | null; data: string }>) {
    checked++;
    let rows: RowText[] | undefined;
    let fault: string | undefined;
    try {
      const baseRows = base ? rowsOf(base) : undefined;
      if (base && !baseRows) fault = `the tree it is a delta of (${short(base)}) is missing`;
      else rows = decodeTree(data, baseRows);
    } catch (error) {
      fault = `it cannot be read (${(error as Error).message})`;
    }
    if (rows && treeDigest(rows) !== digest) fault = 'its rows no longer hash to its address (an entry was edited, removed or re-pointed)';
    if (fault || !rows) {
      for (const u of treeUsers(store, digest)) {
        problems.push({
          problem: 'tree_hash_mismatch',
          digest,
          runId: u.run_id,
          runSeq: u.seq,
          kind: u.kind,
          message: `${u.kind === 'check results' ? 'result' : 'record'} tree ${short(digest)} of ${u.kind} in run ${u.run_id} was modified: ${fault}`,
        });
      }
      continue;
    }
    cache.set(digest, rows);
    if (!recordTrees.has(digest)) continue;
    // Rows a delta keeps from its base were checked with the base: only new rows are looked up.
    const fresh = base ? diffSorted(cache.get(base) ?? [], rows).add : rows;
    for (const row of parseRows<RecordRow>(fresh)) {
      if (!blobs.has(row[1])) missingPayloads.set(row[1], digest);
      if (row[3] && !files.has(row[3])) missingPayloads.set(`file:${row[3]}`, digest);
    }
  }
  for (const [reference, tree] of missingPayloads) {
    const isFile = reference.startsWith('file:');
    const digest = isFile ? reference.slice(5) : reference;
    if (!isFile && db.prepare('SELECT 1 FROM blobs WHERE digest = ?').get(digest)) continue; // present but modified: reported above
    if (isFile && db.prepare('SELECT 1 FROM files WHERE digest = ?').get(digest)) continue;
    for (const u of treeUsers(store, tree).slice(0, 1)) {
      problems.push({
        problem: isFile ? 'file_missing' : 'blob_missing',
        digest,
        runId: u.run_id,
        runSeq: u.seq,
        kind: u.kind,
        message: `${isFile ? 'file' : 'payload'} ${short(digest)} of ${u.kind} in run ${u.run_id} is missing (${isFile ? 'file' : 'blob'} row deleted)`,
      });
    }
  }
  const unknown = db
    .prepare(
      `SELECT DISTINCT r.id AS run_id, r.seq, s.kind, c.tree AS digest FROM collections c JOIN streams s ON s.id = c.stream_id JOIN runs r ON r.seq = c.run_seq
         LEFT JOIN trees t ON t.digest = c.tree WHERE t.digest IS NULL
       UNION SELECT DISTINCT r.id, r.seq, 'check results', e.results FROM check_evaluations e JOIN runs r ON r.seq = e.run_seq
         LEFT JOIN trees t ON t.digest = e.results WHERE t.digest IS NULL ORDER BY 2`,
    )
    .all() as (Place & { digest: string })[];
  if (store.schemaVersion >= 3) unknown.push(...missingCheckRunTrees(store, rowsOf));
  for (const m of unknown) {
    problems.push({
      problem: 'tree_missing',
      digest: m.digest,
      runId: m.run_id,
      runSeq: m.seq,
      kind: m.kind,
      message: `${m.kind === 'check results' ? 'result' : 'record'} tree ${short(m.digest)} of ${m.kind} in run ${m.run_id} is missing (tree row deleted)`,
    });
  }
  return { checked, problems };
}

/** The evaluation trees of check runs (schema 3), and the result trees they name, that are not there. */
function missingCheckRunTrees(store: SqliteEvidenceStore, rowsOf: (digest: string) => RowText[] | undefined): (Place & { digest: string })[] {
  const out: (Place & { digest: string })[] = [];
  const exists = store.db.prepare('SELECT 1 FROM trees WHERE digest = ?');
  const known = new Set<string>();
  for (const c of store.db.prepare('SELECT r.id AS run_id, r.seq, lower(hex(c.evaluations)) AS tree FROM check_runs c JOIN runs r ON r.seq = c.run_seq ORDER BY c.id').iterate() as IterableIterator<
    Place & { tree: string }
  >) {
    if (known.has(c.tree)) continue;
    if (!exists.get(c.tree)) {
      out.push({ run_id: c.run_id, seq: c.seq, kind: 'check results', digest: c.tree });
      continue;
    }
    known.add(c.tree);
    let rows: RowText[] | undefined;
    try {
      rows = rowsOf(c.tree);
    } catch {
      rows = undefined; // reported as a modified tree
    }
    for (const e of rows ? evaluationRows(rows) : []) {
      if (known.has(e[4])) continue;
      if (exists.get(e[4])) known.add(e[4]);
      else out.push({ run_id: c.run_id, seq: c.seq, kind: 'check results', digest: e[4] });
    }
  }
  return out;
}

/** Every stored file (manual evidence) must rebuild from its chunks to its address, and exist where referenced. */
function verifyFiles(store: SqliteEvidenceStore, v2: boolean): { checked: number; present: Set<string>; problems: VerifyProblem[] } {
  const db = store.db;
  const problems: VerifyProblem[] = [];
  const present = new Set<string>();
  let checked = 0;
  const attachedTo = (digest: string): Place[] =>
    uniquePlaces([
      ...(db.prepare('SELECT DISTINCT r.id AS run_id, r.seq, o.kind FROM observations o JOIN runs r ON r.seq = o.run_seq WHERE o.attachment = ?').all(digest) as Place[]),
      ...(v2
        ? (db
            .prepare(
              `SELECT DISTINCT r.id AS run_id, r.seq, s.kind FROM subject_changes x JOIN collections c ON c.id = x.collection_id JOIN streams s ON s.id = c.stream_id
               JOIN runs r ON r.seq = c.run_seq WHERE x.entry LIKE ?`,
            )
            .all(`%${digest}%`) as Place[])
        : []),
    ]);
  const getChunk = db.prepare('SELECT data FROM chunks WHERE digest = ?');
  for (const file of db.prepare('SELECT digest, size, chunks FROM files').all() as { digest: string; size: number; chunks: string }[]) {
    checked++;
    const whole = createHash('sha256');
    let size = 0;
    let fault: string | undefined;
    for (const chunkDigest of JSON.parse(file.chunks) as string[]) {
      const row = getChunk.get(chunkDigest) as { data: Buffer } | undefined;
      if (!row) {
        fault = `chunk ${short(chunkDigest)} is missing`;
        break;
      }
      whole.update(row.data);
      size += row.data.length;
    }
    if (!fault && (whole.digest('hex') !== file.digest || size !== file.size)) fault = 'its content no longer hashes to its address';
    if (!fault) {
      present.add(file.digest);
      continue;
    }
    const users = attachedTo(file.digest);
    for (const u of users.length ? users : [undefined]) {
      problems.push({
        problem: 'file_hash_mismatch',
        digest: file.digest,
        ...(u ? { runId: u.run_id, runSeq: u.seq, kind: u.kind } : {}),
        message: `file ${short(file.digest)}${u ? ` of ${u.kind} in run ${u.run_id}` : ''} was modified: ${fault}`,
      });
    }
  }
  const orphans = db
    .prepare(
      `SELECT DISTINCT r.id AS run_id, r.seq, o.kind, o.attachment FROM observations o JOIN runs r ON r.seq = o.run_seq
       LEFT JOIN files f ON f.digest = o.attachment WHERE o.attachment IS NOT NULL AND f.digest IS NULL`,
    )
    .all() as (Place & { attachment: string })[];
  for (const o of orphans) {
    problems.push({
      problem: 'file_missing',
      digest: o.attachment,
      runId: o.run_id,
      runSeq: o.seq,
      kind: o.kind,
      message: `file ${short(o.attachment)} of ${o.kind} in run ${o.run_id} is missing (file row deleted)`,
    });
  }
  return { checked, present, problems };
}

/** Each seal must match its run's content and link to the previous seal; no run may be missing. */
function verifyChain(store: SqliteEvidenceStore, v2: boolean): { runsChecked: number; headHash?: string; unsealedRuns: string[]; problems: VerifyProblem[] } {
  const db = store.db;
  const problems: VerifyProblem[] = [];
  const runsBySeq = new Map<number, RunRow>();
  for (const run of db.prepare('SELECT * FROM runs ORDER BY seq').iterate() as IterableIterator<RunRow>) runsBySeq.set(run.seq, run);
  const sealedSeqs = new Set(db.prepare('SELECT run_seq FROM run_seals').pluck().all() as number[]);
  let prevHash = genesisHash;
  let prevSeq = 0;
  let runsChecked = 0;
  for (const seal of db.prepare('SELECT * FROM run_seals ORDER BY run_seq').all() as SealRow[]) {
    runsChecked++;
    const run = runsBySeq.get(seal.run_seq);
    const label = run?.id ?? `#${seal.run_seq}`;
    for (let gap = prevSeq + 1; gap < seal.run_seq; gap++) {
      if (!runsBySeq.has(gap)) {
        problems.push({ problem: 'run_missing', runSeq: gap, message: `run #${gap} is missing between runs #${prevSeq} and #${seal.run_seq} (deleted)` });
      } else if (!sealedSeqs.has(gap)) {
        problems.push({ problem: 'seal_missing', runSeq: gap, runId: runsBySeq.get(gap)!.id, message: `run ${runsBySeq.get(gap)!.id} has no seal although later runs do (seal deleted)` });
      }
    }
    if (seal.prev_hash !== prevHash) {
      problems.push({ problem: 'chain_broken', runId: label, runSeq: seal.run_seq, message: `run ${label} does not link to the run before it (a run was deleted, reordered or re-sealed)` });
    }
    if (!run) {
      problems.push({ problem: 'run_missing', runSeq: seal.run_seq, message: `run #${seal.run_seq} has a seal but its run row was deleted` });
    } else {
      let manifest: RunManifest | ManifestV1 | undefined;
      try {
        manifest = JSON.parse(seal.manifest) as RunManifest | ManifestV1;
      } catch {
        manifest = undefined;
      }
      if (!manifest || runHash(seal.prev_hash, run, manifest) !== seal.hash) {
        problems.push({ problem: 'run_hash_mismatch', runId: run.id, runSeq: run.seq, message: `seal of run ${run.id} does not match its hash (run header or seal edited)` });
      } else if (seal.status !== manifest.status || seal.finished_at !== manifest.finishedAt) {
        // `runs()` shows these columns; only their copies in the manifest are hashed.
        problems.push({
          problem: 'run_hash_mismatch',
          runId: run.id,
          runSeq: run.seq,
          message: `seal of run ${run.id} says ${seal.status} at ${seal.finished_at} but its hashed manifest says ${manifest.status} at ${manifest.finishedAt} (seal edited)`,
        });
      }
      if (manifest) problems.push(...compareContent(store, run, manifest, v2));
    }
    prevHash = seal.hash;
    prevSeq = seal.run_seq;
  }
  const unsealed = [...runsBySeq.values()].filter((r) => !sealedSeqs.has(r.seq) && r.seq > prevSeq).map((r) => r.id);
  return { runsChecked, ...(runsChecked ? { headHash: prevHash } : {}), unsealedRuns: unsealed, problems };
}

function compareContent(store: SqliteEvidenceStore, run: RunRow, manifest: RunManifest | ManifestV1, v2: boolean): VerifyProblem[] {
  const version = (manifest as RunManifest).v;
  const isV2 = version === 2 || version === 3;
  const problems = isV2
    ? sealDifferences(run, store.hashRunContent(run.seq, version), manifest, {
        noun: 'records',
        unexplained: 'a collection was re-pointed at another tree or provenance, or the change index was edited',
      })
    : sealDifferences(run, hashV1RunContent(store.db, run.seq), manifest, { noun: 'observations', unexplained: 'observations edited or reordered' });
  if (!isV2 && v2) problems.push(...compareUpgraded(store, run));
  return problems;
}

/** A schema-1 run of an upgraded store: the collections the upgrade derived must be what its schema-1 rows give. */
function compareUpgraded(store: SqliteEvidenceStore, run: RunRow): VerifyProblem[] {
  let expected: RunManifest['kinds'];
  try {
    const planned = store.deriveV1Collections(run.seq).map((c) => {
      const stream = store.db.prepare('SELECT kind, instance_id, collector_id FROM streams WHERE id = ?').get(c.streamId) as { kind: string; instance_id: string; collector_id: string };
      return store.planCollection(stream.kind, stream, c.status, c.finishedAt, c.built, store.previousTree(c.streamId, run.seq)).planned;
    });
    expected = hashCollections(planned);
  } catch (error) {
    return [{ problem: 'legacy_index_mismatch', runId: run.id, runSeq: run.seq, message: `the upgraded records of schema-1 run ${run.id} cannot be re-derived: ${(error as Error).message}` }];
  }
  const stored = store.hashRunContent(run.seq, 2).kinds;
  const problems: VerifyProblem[] = [];
  for (const kind of [...new Set([...Object.keys(expected), ...Object.keys(stored)])].sort()) {
    if (expected[kind]?.hash === stored[kind]?.hash) continue;
    problems.push({
      problem: 'legacy_index_mismatch',
      runId: run.id,
      runSeq: run.seq,
      kind,
      message: `records of ${kind} in schema-1 run ${run.id} no longer match what its sealed schema-1 rows give (upgraded rows edited)`,
    });
  }
  return problems;
}
