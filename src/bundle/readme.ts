import { describeSampleSizeTable, sampleMethod, sampleScript, type SampleRecord, type SampleSizeRow } from '../sampling/sample.js';
import type { Period } from './period.js';

export interface ReadmeInput {
  period: Period;
  generatedAt: Date;
  toolVersion: string;
  signingKey: string;
  samples: readonly SampleRecord[];
  withoutEvidence: readonly string[];
  sizeTable: readonly SampleSizeRow[];
}

/**
 * The bundle's README.txt: what is in it, and how an auditor verifies it with standard tools only
 * (openssl, sha256sum, find, diff) — the test suite runs exactly these commands.
 */
export function renderBundleReadme(input: ReadmeInput): string {
  const { period } = input;
  const samples = input.samples.length
    ? input.samples.map((s) => `  samples/${s.population}.json: ${s.size} of ${s.populationSize}, seed "${s.seed}", population sha256 ${s.populationSha256}`).join('\n')
    : '  (no sample was drawn into this bundle)';
  return `ANNEXA EVIDENCE BUNDLE — ISO/IEC 27001:2022
============================================

Period:     ${period.from} to ${period.to} (whole UTC days, both included)
Generated:  ${input.generatedAt.toISOString()} by annexa ${input.toolVersion}
Signed by:  the Ed25519 key with public-key fingerprint ${input.signingKey}
            (sha256 of the DER public key: openssl pkey -pubin -in annexa-signing.pub -outform DER | sha256sum)

Open index.html in a browser: it works offline and loads nothing from the network.


WHAT IS IN IT
-------------
index.html                    summary, control matrix over the period, per-control evidence, links to every file
controls/<id>/control.json    one folder per requirement: SoA decision, status at the period end, days by status,
                              every status change with the evidence that caused it, collection gaps, files it draws on
controls/<id>/timeline.csv    the requirement and each of its checks, day by day (pass, fail, stale, not_collected ...)
controls/<id>/populations/, controls/<id>/manual/
                              copies of the populations its checks read and of its manual evidence files
controls/<id>/checks/<check>.results.csv
                              every result of the check in the period, one row per subject and unchanged status:
                              first and last evaluation, number of evaluations, message, digest of the evidence read
evidence/<kind>.jsonl         every version of every record the checks read in the period, one JSON object per line:
                              payload, digest, the first and last collection (run and time) that held it, connector
                              instance, collector, source system, and the API requests (method, URL, status, request id)
evidence/check-inputs/<sha256>.json
                              what a check run read for every status change: per kind, the run, the record count
                              and the collection's tree digest (which stands for the payload digests it read)
evidence/check-inputs/trees/<tree>.json
                              each such tree resolved to its records (subject, payload digest): every digest is a
                              record in evidence/<kind>.jsonl
populations/<name>.csv        populations to sample from (UTF-8 with BOM, one header row, ISO-8601 UTC dates)
samples/                      samples drawn with the auditor's seed (see SAMPLES)
manual/                       manual evidence files as stored, and manual-evidence.csv with effective and expiry dates
coverage/coverage.{json,html} the coverage report at the end of the period
soa.csv                       the Statement of Applicability (exclusions with their justification)
timeline.json                 the whole period timeline as JSON
oscal/assessment-results.json the period's results as OSCAL 1.0.4 assessment results
framework/                    the control catalog and check-to-control mappings used
manifest.json                 every file with sha256 and size, tool version, catalog and mapping digests, period,
                              the evidence store's chain head and the run hashes of the period
manifest.sig, SHA256SUMS, SHA256SUMS.sig
                              Ed25519 signatures (raw 64 bytes) and the checksum list

Requirements present but without any evidence in the period (each says so in its control.json):
  ${input.withoutEvidence.length ? input.withoutEvidence.join(', ') : 'none'}


HOW TO VERIFY WITH STANDARD TOOLS
---------------------------------
You need the signer's public key, received separately from this bundle. Unzip the bundle into a
folder, save the key next to that folder as annexa-signing.pub, change into the folder, and run:

1. The signatures (each prints "Signature Verified Successfully"):

   openssl pkeyutl -verify -pubin -inkey ../annexa-signing.pub -rawin -in manifest.json -sigfile manifest.sig
   openssl pkeyutl -verify -pubin -inkey ../annexa-signing.pub -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig

2. Every file against its signed digest (every line must end in OK):

   sha256sum -c SHA256SUMS

3. No file was added (prints nothing when the folder holds exactly the listed files):

   find . -type f ! -name SHA256SUMS ! -name SHA256SUMS.sig ! -name manifest.sig | sed 's|^\\./||' | sort > /tmp/annexa-present.txt
   cut -c67- SHA256SUMS | sort | diff - /tmp/annexa-present.txt

Or, with Annexa: annexa verify ${'<bundle>.zip'} --public-key annexa-signing.pub


RECOMPUTING A RECORD DIGEST
---------------------------
A record's "digest" is the ${'sha256'} (lower-case hex) of its payload serialized with the JSON
Canonicalization Scheme, RFC 8785 (JCS): object members sorted by the UTF-16 code units of their
names, no white space, numbers and strings written as ECMAScript's JSON.stringify writes them.
Any RFC 8785 library reproduces it; for payloads whose numbers are all integers (Annexa's
collectors store no fractions) and whose keys are ASCII, Python's standard library does too:

   python3 -c 'import hashlib,json,sys; r=json.loads(sys.stdin.readline()); print(hashlib.sha256(json.dumps(r["payload"],sort_keys=True,separators=(",",":"),ensure_ascii=False).encode()).hexdigest(), r["digest"])' < evidence/github.member.v1.jsonl

The two printed values must be equal. The same rule gives each evidence/check-inputs file its name.


SAMPLES
-------
Method: ${sampleMethod}.
Re-draw any sample without Annexa with this five-line script (sample.py POPULATION.csv SEED SIZE):

${sampleScript
  .split('\n')
  .map((l) => `   ${l}`)
  .join('\n')}

${samples}

"--size auto" takes the size from this table (configurable with --size-table):
${describeSampleSizeTable(input.sizeTable)
  .map((l) => `   ${l}`)
  .join('\n')}


STATUSES
--------
Checks: pass, fail, warn (needs a human look), stale (newest evidence older than its freshness
limit), not_collected (never collected, the collection failed, or no check run that day), error.
Requirements per day: passing, failing, stale, manual (manual evidence in force), missing, excluded.
A day's check status is the worst result of the last check run recorded that day.
`;
}
