import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { sha256Hex } from '../src/core/canonical.js';
import { TreeCache, decodeTree, diffSorted, parseRows, treeDigest, type RowText } from './trees.js';
import type { RecordRow } from './collection.js';
import type { VerifyProblem, VerifyReport } from './evidence-store.js';
import { genesisHash, runHash, type RunManifest, type RunRow, type SealRow } from './sqlite-store.js';
import { hashSharedRunContent, type SharedRunContent } from './postgres-shared-runs.js';
import { sealDifferences } from './seal-diff.js';
import type { PostgresEvidenceStore } from './postgres-store.js';
import { digestsOf, evaluationRows } from './check-runs.js';

/**
 * `verify` for the PostgreSQL store: the same passes as the SQLite one (every blob re-hashed, every
 * tree rebuilt and re-hashed with its payloads present, every file rebuilt from its chunks, every
 * seal recomputed from the rows it covers and linked to the one before), reading in pages so
 * memory does not grow with the store. The chain is walked in sealing order.
 */
export async function verifyPostgresStore(store: PostgresEvidenceStore): Promise<VerifyReport> {
  const blobs = await verifyBlobs(store);
  const files = await verifyFiles(store);
  const trees = await verifyTrees(store, files.present);
  const chain = await verifyChain(store);
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
const pageSize = 2000;

/** Rows of a table in pages by a text key (keyset pagination: no cursor held open). */
async function* pages<T extends Record<string, unknown>>(store: PostgresEvidenceStore, select: string, key: string): AsyncGenerator<T> {
  let after: unknown = null;
  for (;;) {
    const rows = await store.rows<T>(`${select} WHERE ($1::text IS NULL OR ${key}::text > $1::text) ORDER BY ${key}::text LIMIT ${pageSize}`, [after]);
    for (const row of rows) yield row;
    if (rows.length < pageSize) return;
    after = rows.at(-1)![key];
  }
}

interface Place {
  run_id: string;
  seq: number;
  kind: string;
}

/**
 * The first run and kind that use a digest (a collection's provenance or tree, a check evaluation,
 * a check run's evaluation tree or evidence, or a result tree a check run's evaluation tree names).
 */
async function firstUser(store: PostgresEvidenceStore, digest: string): Promise<Place | undefined> {
  const [place] = await store.rows<Place>(
    `SELECT r.id AS run_id, r.seq, s.kind FROM collections c JOIN streams s ON s.id = c.stream_id JOIN runs r ON r.seq = c.run_seq
       WHERE c.provenance = $1 OR c.tree = $1 OR c.id IN (SELECT collection_id FROM subject_changes WHERE strpos(entry, $1) > 0)
     UNION ALL SELECT r.id, r.seq, 'check results' FROM check_evaluations e JOIN runs r ON r.seq = e.run_seq WHERE e.evidence = $1 OR e.results = $1
     UNION ALL SELECT r.id, r.seq, 'check results' FROM check_runs c JOIN runs r ON r.seq = c.run_seq
       WHERE c.evaluations = decode($1, 'hex') OR position(decode($1, 'hex') in c.evidence) > 0
     ORDER BY 2 LIMIT 1`,
    [digest],
  );
  if (place) return place;
  // A result tree: named inside check runs' evaluation trees (read only when something is wrong).
  for await (const c of checkRunTrees(store)) {
    try {
      if (evaluationRows(await store.treeRows(c.tree)).some((e) => e[4] === digest)) return c;
    } catch {
      // an unreadable evaluation tree is reported for itself
    }
  }
  return undefined;
}

/** Every check run (schema 3) with its evaluation tree's digest, in write order. */
async function* checkRunTrees(store: PostgresEvidenceStore): AsyncGenerator<Place & { tree: string; evidence: Buffer }> {
  let after = 0;
  for (;;) {
    const rows = await store.rows<Place & { id: number; tree: string; evidence: Buffer }>(
      `SELECT c.id, r.id AS run_id, r.seq, 'check results' AS kind, encode(c.evaluations, 'hex') AS tree, c.evidence FROM check_runs c JOIN runs r ON r.seq = c.run_seq
       WHERE c.id > $1 ORDER BY c.id LIMIT ${pageSize}`,
      [after],
    );
    for (const { id: _, ...row } of rows) yield row;
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.id;
  }
}

function located(place: Place | undefined): Pick<VerifyProblem, 'runId' | 'runSeq' | 'kind'> {
  return place ? { runId: place.run_id, runSeq: place.seq, kind: place.kind } : {};
}

async function verifyBlobs(store: PostgresEvidenceStore): Promise<{ checked: number; problems: VerifyProblem[] }> {
  const problems: VerifyProblem[] = [];
  let checked = 0;
  const plain = pages<{ digest: string; json: string }>(store, 'SELECT digest, json FROM blobs', 'digest');
  const packed = pages<{ digest: string; data: Buffer }>(store, 'SELECT digest, data FROM packed_blobs', 'digest');
  async function* all(): AsyncGenerator<{ digest: string; json: string }> {
    yield* plain;
    for await (const { digest, data } of packed) {
      let json = '';
      try {
        json = inflateRawSync(data).toString('utf8');
      } catch {
        // Undecodable: reported as a mismatch below.
      }
      yield { digest, json };
    }
  }
  for await (const { digest, json } of all()) {
    checked++;
    if (sha256Hex(json) === digest) continue;
    const place = await firstUser(store, digest);
    problems.push({
      problem: 'blob_hash_mismatch',
      digest,
      ...located(place),
      message: place
        ? `payload ${short(digest)} of ${place.kind} in run ${place.run_id} was modified: its content no longer hashes to its address`
        : `blob ${short(digest)} does not match its hash (referenced by nothing)`,
    });
  }
  const missing = await store.rows<Place & { digest: string }>(
    `SELECT DISTINCT r.id AS run_id, r.seq, d.kind, d.digest FROM (
       SELECT c.run_seq, s.kind, c.provenance AS digest FROM collections c JOIN streams s ON s.id = c.stream_id
       UNION ALL SELECT run_seq, 'check results', evidence FROM check_evaluations) d
     JOIN runs r ON r.seq = d.run_seq LEFT JOIN blobs b ON b.digest = d.digest WHERE d.digest IS NOT NULL AND b.digest IS NULL
       AND NOT EXISTS (SELECT 1 FROM packed_blobs p WHERE p.digest = d.digest) ORDER BY r.seq`,
  );
  // Each check run names the evidence its evaluations read.
  for await (const c of checkRunTrees(store)) {
    const named = [...new Set(digestsOf(c.evidence))];
    const found = new Set((await store.rows<{ digest: string }>('SELECT digest FROM blobs WHERE digest = ANY($1::text[])', [named])).map((r) => r.digest));
    for (const digest of named) if (!found.has(digest)) missing.push({ run_id: c.run_id, seq: c.seq, kind: c.kind, digest });
  }
  // Each provenance names its request templates, which must be there too.
  for await (const { provenance } of pages<{ provenance: string }>(store, 'SELECT DISTINCT provenance FROM collections', 'provenance')) {
    const value = (await store.blob(provenance).catch(() => undefined)) as { templates?: string } | undefined;
    if (!value?.templates || (await store.rows('SELECT 1 FROM blobs WHERE digest = $1', [value.templates])).length > 0) continue;
    const place = await firstUser(store, provenance);
    missing.push({ run_id: place?.run_id ?? '?', seq: place?.seq ?? 0, kind: place?.kind ?? '?', digest: value.templates });
  }
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
  return { checked, problems };
}

async function verifyTrees(store: PostgresEvidenceStore, files: Set<string>): Promise<{ checked: number; problems: VerifyProblem[] }> {
  const problems: VerifyProblem[] = [];
  const cache = new TreeCache(48);
  const rowsOf = async (digest: string): Promise<RowText[] | undefined> => {
    const cached = cache.get(digest);
    if (cached) return cached;
    const [row] = await store.rows<{ base: string | null; data: string }>('SELECT base, data FROM trees WHERE digest = $1', [digest]);
    if (!row) return undefined;
    const base = row.base ? await rowsOf(row.base) : undefined;
    if (row.base && !base) return undefined;
    return decodeTree(row.data, base);
  };
  let checked = 0;
  let after = 0;
  const referenced = new Map<string, string>();
  for (;;) {
    const batch = await store.rows<{ id: number; digest: string; base: string | null; data: string; is_record_tree: boolean }>(
      `SELECT t.id, t.digest, t.base, t.data, EXISTS (SELECT 1 FROM collections c WHERE c.tree = t.digest) AS is_record_tree
       FROM trees t WHERE t.id > $1 ORDER BY t.id LIMIT ${pageSize}`,
      [after],
    );
    for (const { digest, base, data, is_record_tree } of batch) {
      checked++;
      let rows: RowText[] | undefined;
      let fault: string | undefined;
      try {
        const baseRows = base ? await rowsOf(base) : undefined;
        if (base && !baseRows) fault = `the tree it is a delta of (${short(base)}) is missing`;
        else rows = decodeTree(data, baseRows);
      } catch (error) {
        fault = `it cannot be read (${(error as Error).message})`;
      }
      if (rows && treeDigest(rows) !== digest) fault = 'its rows no longer hash to its address (an entry was edited, removed or re-pointed)';
      if (fault || !rows) {
        const place = await firstUser(store, digest);
        problems.push({
          problem: 'tree_hash_mismatch',
          digest,
          ...located(place),
          message: `${place?.kind === 'check results' ? 'result' : 'record'} tree ${short(digest)}${place ? ` of ${place.kind} in run ${place.run_id}` : ''} was modified: ${fault}`,
        });
        continue;
      }
      cache.set(digest, rows);
      if (!is_record_tree) continue;
      const fresh = base ? diffSorted(cache.get(base) ?? [], rows).add : rows;
      for (const row of parseRows<RecordRow>(fresh)) {
        referenced.set(row[1], digest);
        if (row[3] && !files.has(row[3])) referenced.set(`file:${row[3]}`, digest);
      }
    }
    if (batch.length < pageSize) break;
    after = batch.at(-1)!.id;
    // Payload references are looked up a page at a time.
    await reportMissing(store, referenced, problems);
  }
  await reportMissing(store, referenced, problems);
  const unknown = await store.rows<Place & { digest: string }>(
    `SELECT DISTINCT r.id AS run_id, r.seq, s.kind, c.tree AS digest FROM collections c JOIN streams s ON s.id = c.stream_id JOIN runs r ON r.seq = c.run_seq
       LEFT JOIN trees t ON t.digest = c.tree WHERE t.digest IS NULL
     UNION SELECT DISTINCT r.id, r.seq, 'check results', e.results FROM check_evaluations e JOIN runs r ON r.seq = e.run_seq
       LEFT JOIN trees t ON t.digest = e.results WHERE t.digest IS NULL ORDER BY 2`,
  );
  // Check runs' evaluation trees, and the result trees they name.
  const known = new Set<string>();
  for await (const c of checkRunTrees(store)) {
    if (known.has(c.tree)) continue;
    const rows = await rowsOf(c.tree).catch(() => undefined);
    if (!rows) {
      if ((await store.rows('SELECT 1 FROM trees WHERE digest = $1', [c.tree])).length === 0) unknown.push({ ...c, digest: c.tree });
      continue;
    }
    known.add(c.tree);
    const named = evaluationRows(rows).map((e) => e[4]).filter((d) => !known.has(d));
    const found = new Set((await store.rows<{ digest: string }>('SELECT digest FROM trees WHERE digest = ANY($1::text[])', [named])).map((r) => r.digest));
    for (const digest of named) {
      if (found.has(digest)) known.add(digest);
      else unknown.push({ ...c, digest });
    }
  }
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

/** Payloads and files that record trees point at must exist. */
async function reportMissing(store: PostgresEvidenceStore, referenced: Map<string, string>, problems: VerifyProblem[]): Promise<void> {
  const payloads = [...referenced.keys()].filter((k) => !k.startsWith('file:'));
  const present = new Set(
    (await store.rows<{ digest: string }>('SELECT digest FROM blobs WHERE digest = ANY($1::text[])', [payloads])).map((r) => r.digest),
  );
  for (const [reference, tree] of referenced) {
    const isFile = reference.startsWith('file:');
    const digest = isFile ? reference.slice(5) : reference;
    if (!isFile && present.has(digest)) continue;
    if (isFile && (await store.rows('SELECT 1 FROM files WHERE digest = $1', [digest])).length > 0) continue;
    const place = await firstUser(store, tree);
    problems.push({
      problem: isFile ? 'file_missing' : 'blob_missing',
      digest,
      ...located(place),
      message: `${isFile ? 'file' : 'payload'} ${short(digest)}${place ? ` of ${place.kind} in run ${place.run_id}` : ''} is missing (${isFile ? 'file' : 'blob'} row deleted)`,
    });
  }
  referenced.clear();
}

async function verifyFiles(store: PostgresEvidenceStore): Promise<{ checked: number; present: Set<string>; problems: VerifyProblem[] }> {
  const problems: VerifyProblem[] = [];
  const present = new Set<string>();
  let checked = 0;
  for await (const file of pages<{ digest: string; size: number; chunks: string }>(store, 'SELECT digest, size, chunks FROM files', 'digest')) {
    checked++;
    const whole = createHash('sha256');
    let size = 0;
    let fault: string | undefined;
    for (const chunkDigest of JSON.parse(file.chunks) as string[]) {
      const [row] = await store.rows<{ data: Buffer }>('SELECT data FROM chunks WHERE digest = $1', [chunkDigest]);
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
    problems.push({ problem: 'file_hash_mismatch', digest: file.digest, message: `file ${short(file.digest)} was modified: ${fault}` });
  }
  return { checked, present, problems };
}

async function verifyChain(store: PostgresEvidenceStore): Promise<{ runsChecked: number; headHash?: string; unsealedRuns: string[]; problems: VerifyProblem[] }> {
  const problems: VerifyProblem[] = [];
  let prevHash = genesisHash;
  let runsChecked = 0;
  let prevSeq = 0;
  let after = 0;
  for (;;) {
    const seals = await store.rows<SealRow & { chain_pos: number } & Partial<RunRow> & { run_id: string | null }>(
      `SELECT s.*, r.id AS run_id, r.started_at, r.command, r.tool_version FROM run_seals s LEFT JOIN runs r ON r.seq = s.run_seq
       WHERE s.chain_pos > $1 ORDER BY s.chain_pos LIMIT ${pageSize}`,
      [after],
    );
    for (const seal of seals) {
      runsChecked++;
      const label = seal.run_id ?? `#${seal.run_seq}`;
      if (seal.prev_hash !== prevHash) {
        problems.push({ problem: 'chain_broken', runId: label, runSeq: seal.run_seq, message: `run ${label} does not link to the run sealed before it (a run was deleted, reordered or re-sealed)` });
        // Run numbers may skip (a rolled-back insert uses one up), so a gap only counts next to a broken link.
        const gone = await store.rows<{ seq: number }>(
          'SELECT g.seq FROM generate_series($1::bigint + 1, $2::bigint - 1) AS g(seq) WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.seq = g.seq) ORDER BY g.seq',
          [prevSeq, seal.run_seq],
        );
        for (const { seq } of gone) problems.push({ problem: 'run_missing', runSeq: seq, message: `run #${seq} is missing before run ${label} (deleted)` });
      }
      if (!seal.run_id) {
        problems.push({ problem: 'run_missing', runSeq: seal.run_seq, message: `run #${seal.run_seq} has a seal but its run row was deleted` });
      } else {
        const run: RunRow = { seq: seal.run_seq, id: seal.run_id, started_at: seal.started_at!, command: seal.command!, tool_version: seal.tool_version! };
        let manifest: RunManifest | undefined;
        try {
          manifest = JSON.parse(seal.manifest) as RunManifest;
        } catch {
          manifest = undefined;
        }
        if (!manifest || runHash(seal.prev_hash, run, manifest) !== seal.hash) {
          problems.push({ problem: 'run_hash_mismatch', runId: run.id, runSeq: run.seq, message: `seal of run ${run.id} does not match its hash (run header or seal edited)` });
        } else if (seal.status !== manifest.status || seal.finished_at !== manifest.finishedAt) {
          problems.push({
            problem: 'run_hash_mismatch',
            runId: run.id,
            runSeq: run.seq,
            message: `seal of run ${run.id} says ${seal.status} at ${seal.finished_at} but its hashed manifest says ${manifest.status} at ${manifest.finishedAt} (seal edited)`,
          });
        }
        if (manifest) problems.push(...(await compareContent(store, run, manifest)));
      }
      prevHash = seal.hash;
      prevSeq = seal.run_seq;
    }
    if (seals.length < pageSize) break;
    after = seals.at(-1)!.chain_pos;
  }
  const unsealed = await store.rows<{ id: string }>('SELECT r.id FROM runs r LEFT JOIN run_seals s ON s.run_seq = r.seq WHERE s.run_seq IS NULL ORDER BY r.seq');
  return { runsChecked, ...(runsChecked ? { headHash: prevHash } : {}), unsealedRuns: unsealed.map((r) => r.id), problems };
}

async function compareContent(store: PostgresEvidenceStore, run: RunRow, manifest: RunManifest): Promise<VerifyProblem[]> {
  if (manifest.v !== 2 && manifest.v !== 3) {
    return [{ problem: 'run_hash_mismatch', runId: run.id, runSeq: run.seq, message: `run ${run.id} was sealed by store schema 1, which the PostgreSQL store does not hold` }];
  }
  const problems = sealDifferences(run, await store.hashRunContent(run.seq, store.pool, manifest.v), manifest, {
    noun: 'records',
    unexplained: 'a collection was re-pointed at another tree or provenance, or the change index was edited',
  });
  // A shared run's seal also commits to its worker log and per-unit outcomes.
  const sealed = manifest as RunManifest & Partial<SharedRunContent>;
  if (sealed.jobs || sealed.unitOutcomes) {
    const actual = await hashSharedRunContent(store.pool, run.seq);
    for (const [field, what] of [['jobs', 'worker log (run_jobs)'], ['unitOutcomes', 'the part outcome list (unit_outcomes)']] as const) {
      if (actual[field].hash === sealed[field]?.hash) continue;
      problems.push({
        problem: 'worker_log_changed',
        runId: run.id,
        runSeq: run.seq,
        message: `${what} of run ${run.id} does not match the seal (${actual[field].count} rows stored, ${sealed[field]?.count ?? 0} sealed)`,
      });
    }
  }
  return problems;
}
