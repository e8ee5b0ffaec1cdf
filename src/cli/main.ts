#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, StoreWriteError, UsageError } from '../core/errors.js';
import { StoreLockedError } from '../../storage/lock.js';
import { StoreVersionError } from '../../storage/sqlite-store.js';
import { toolVersion } from '../core/version.js';
import { processIO, type CliIO } from './runtime.js';
import { exitCodes } from './exit-codes.js';
import { compactHeap, growsYoungGeneration, judgesOneSnapshot, releaseYoungGeneration } from './heap.js';
import type { BundleCommandOptions } from './commands/bundle.js';
import type { SampleCommandOptions } from './commands/sample.js';

/**
 * A command's function, loaded when the command runs. Each command module brings its own
 * dependencies (the sandbox for `demo`, pg and graphile-worker for `worker`, zip for `bundle`):
 * loading every one up front cost `annexa collect` about 24 MB of resident memory it never used.
 */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): M[K] {
  const call = async (...args: unknown[]) => ((await load())[name] as (...a: unknown[]) => Promise<number>)(...args);
  return call as M[K];
}
const collectCommand = lazy(() => import('./commands/collect.js'), 'collectCommand');
const demoCommand = lazy(() => import('./commands/demo.js'), 'demoCommand');
const runsCommand = lazy(() => import('./commands/runs.js'), 'runsCommand');
const evidenceFileCommand = lazy(() => import('./commands/evidence.js'), 'evidenceFileCommand');
const evidenceLsCommand = lazy(() => import('./commands/evidence.js'), 'evidenceLsCommand');
const evidenceShowCommand = lazy(() => import('./commands/evidence.js'), 'evidenceShowCommand');
const verifyCommand = lazy(() => import('./commands/verify.js'), 'verifyCommand');
const storeUpgradeCommand = lazy(() => import('./commands/store.js'), 'storeUpgradeCommand');
const storeInitCommand = lazy(() => import('./commands/store-backends.js'), 'storeInitCommand');
const storeMigrateCommand = lazy(() => import('./commands/store-backends.js'), 'storeMigrateCommand');
const scheduleCommand = lazy(() => import('./commands/scale.js'), 'scheduleCommand');
const workerCommand = lazy(() => import('./commands/scale.js'), 'workerCommand');
const connectorsCommand = lazy(() => import('./commands/connectors.js'), 'connectorsCommand');
const checkCommand = lazy(() => import('./commands/check.js'), 'checkCommand');
const coverageCommand = lazy(() => import('./commands/coverage.js'), 'coverageCommand');
const changesCommand = lazy(() => import('./commands/changes.js'), 'changesCommand');
const populationChangesCommand = lazy(() => import('./commands/population.js'), 'populationChangesCommand');
const runCommand = lazy(() => import('./commands/run.js'), 'runCommand');
const evidenceAddCommand = lazy(() => import('./commands/evidence-add.js'), 'evidenceAddCommand');
const soaExportCommand = lazy(() => import('./commands/soa.js'), 'soaExportCommand');
const soaInitCommand = lazy(() => import('./commands/soa.js'), 'soaInitCommand');
const peopleCommand = lazy(() => import('./commands/people.js'), 'peopleCommand');
const bundleCommand = lazy(() => import('./commands/bundle.js'), 'bundleCommand');
const keysGenerateCommand = lazy(() => import('./commands/keys.js'), 'keysGenerateCommand');
const sampleCommand = lazy(() => import('./commands/sample.js'), 'sampleCommand');

/**
 * The command line: argv to a command function and an exit code, nothing else. Every command
 * takes `--help`; listings take `--json`.
 */
export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('annexa')
    .description('ISO/IEC 27001:2022 evidence collection: connectors, a tamper-evident evidence store, checks and coverage.')
    .version(toolVersion)
    .option('-c, --config <file>', 'config file (default: $ANNEXA_CONFIG or ./annexa.yaml)')
    .option('--store <file|url>', 'evidence store to read (a SQLite file or a postgres:// URL), instead of the config\'s store (reading commands)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const global = () => program.opts<{ config?: string; store?: string; logLevel?: string }>();
  const commandLine = () => ['annexa', ...process.argv.slice(2)].join(' ');
  const run = (fn: () => Promise<number>) => async () => setExit(await fn());

  program
    .command('collect')
    .description('collect evidence from every configured connector into the store (exit 3 when any collector failed)')
    .option('--only <id...>', 'only these connector ids (or id:collector)')
    .option('--json', 'print the run summary as JSON')
    .action((opts: { only?: string[]; json?: boolean }) => run(() => collectCommand({ ...global(), ...opts }, io, commandLine()))());

  program
    .command('run')
    .description('for cron: collect, check, write coverage (JSON, HTML) and changes to the reports folder (exit 3 partial, 4 --fail-on matched)')
    .option('--only <id...>', 'only these connector ids (or id:collector)')
    .option('--fail-on <statuses>', 'exit 4 on: new-failing (checks that newly fail), and/or coverage statuses failing,stale,missing,manual')
    .option('--reports-dir <dir>', 'where reports go (default: reports.dir from config)')
    .option('--json', 'print the summary as JSON')
    .action((opts: { only?: string[]; failOn?: string; reportsDir?: string; json?: boolean }) => run(() => runCommand({ ...global(), ...opts }, io, commandLine()))());

  program
    .command('check')
    .description('evaluate every check against stored evidence and record the results (append-only, chained)')
    .option('--as-of <date>', 'judge the evidence as it stood at this date or time (UTC)')
    .option('--json', 'JSON output')
    .action((opts: { asOf?: string; json?: boolean }) => run(() => checkCommand({ ...global(), ...opts }, io, commandLine()))());

  program
    .command('people')
    .description('one view of each person across Entra ID, Google Workspace, GitHub and AWS (second factor, admin, disabled), with unmatched accounts')
    .option('--as-of <date>', 'from evidence as it stood at this date or time (UTC)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .action((opts: { asOf?: string; format: string }) => run(() => peopleCommand({ ...global(), ...opts }, io))());

  program
    .command('coverage')
    .description('Annex A coverage: per control applicable/excluded, status, checks, failing subjects, newest evidence')
    .option('--as-of <date>', 'the picture at this date or time (UTC), from stored history')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'md', 'html']).default('table'))
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--fail-on <statuses>', 'exit 4 when any applicable control has one of these statuses (failing,stale,missing,manual)')
    .option('--soa <file>', 'Statement of Applicability (default: soa.path from config)')
    .option('--from <date>', 'with --to: the period timeline day by day (table, json or html) instead of one date')
    .option('--to <date>', 'last day of the period (included)')
    .action((opts: { asOf?: string; format: string; out?: string; failOn?: string; soa?: string; from?: string; to?: string }) => run(() => coverageCommand({ ...global(), ...opts }, io))());

  program
    .command('changes')
    .description('check results that changed status and evidence subjects that appeared, disappeared or changed')
    .requiredOption('--since <date|run>', 'a date (2026-03-31), a timestamp, or a run id')
    .option('--until <date>', 'up to this date (default: now)')
    .option('--json', 'JSON output')
    .action((opts: { since: string; until?: string; json?: boolean }) => run(() => changesCommand({ ...global(), ...opts }, io))());

  program
    .command('population')
    .description('populations an auditor samples from stored evidence')
    .command('changes')
    .description('deployed Jira changes and merged pull requests of a period, each with its approval evidence and source')
    .requiredOption('--from <date>', 'first day (2026-01-01) or timestamp')
    .requiredOption('--to <date>', 'last day (2026-03-31, inclusive) or timestamp')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--as-of <date>', 'the evidence as it stood at this date or time (default: now)')
    .action((opts: { from: string; to: string; format: string; out?: string; asOf?: string }) => run(() => populationChangesCommand({ ...global(), ...opts }, io))());

  const soa = program.command('soa').description('Statement of Applicability (soa.yaml)');
  soa
    .command('init')
    .description('write a complete SoA template listing every Annex A control')
    .option('--out <file>', 'where to write it', 'soa.yaml')
    .option('--force', 'overwrite an existing file')
    .option('--organization <name>', 'organization name for the header')
    .option('--json', 'JSON summary')
    .action((opts: { out: string; force?: boolean; organization?: string; json?: boolean }) => run(() => soaInitCommand({ ...global(), ...opts }, io))());
  soa
    .command('export')
    .description('validate the SoA and export it for the auditor')
    .option('--soa <file>', 'the SoA file', 'soa.yaml')
    .addOption(new Option('--format <format>', 'csv or md').choices(['csv', 'md', 'markdown']).makeOptionMandatory())
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--json', 'JSON summary (with --out)')
    .action((opts: { soa: string; format: string; out?: string; json?: boolean }) => run(() => soaExportCommand({ ...global(), ...opts }, io))());

  program
    .command('demo')
    .description('start local sample APIs on 127.0.0.1, collect from them with the real connectors, verify the store')
    .option('--dir <dir>', 'where the demo store and config go', './annexa-demo')
    .option('--scale <n>', 'size of the synthetic company (1 = about 200 people)', '1')
    .option('--json', 'print the summary as JSON')
    .action((opts: { dir: string; scale: string; json?: boolean }) => run(() => demoCommand({ ...global(), ...opts }, io))());

  program
    .command('runs')
    .description('list collection runs (newest first), or show one run with its collector outcomes')
    .argument('[run-id]', 'a run id or unique prefix')
    .option('--limit <n>', 'how many runs', '20')
    .option('--json', 'JSON output')
    .action((id: string | undefined, opts: { limit?: string; json?: boolean }) => run(() => runsCommand(id, { ...global(), ...opts }, io))());

  const evidence = program.command('evidence').description('read stored evidence');
  evidence
    .command('add')
    .description('add a file (policy, minutes, audit report, sign-off) as evidence for controls or clauses; streamed, chained')
    .requiredOption('--file <file>', 'the file')
    .option('--control <id...>', 'Annex A control(s) it evidences (5.1 or A.5.1)')
    .option('--clause <id...>', 'clause requirement(s) it evidences (9.2, 6.1.3.d)')
    .requiredOption('--effective <date>', 'the date the document speaks for (YYYY-MM-DD)')
    .option('--expires <date>', 'from this date it no longer counts as current (YYYY-MM-DD)')
    .option('--note <text>', 'a note for the auditor')
    .option('--by <name>', 'who adds it (default: $ANNEXA_USER or the OS user)')
    .option('--json', 'JSON output')
    .action((opts: { file: string; control?: string[]; clause?: string[]; effective: string; expires?: string; note?: string; by?: string; json?: boolean }) =>
      run(() => evidenceAddCommand({ ...global(), ...opts }, io, commandLine()))(),
    );
  evidence
    .command('ls')
    .description('every evidence kind with its latest collection per connector')
    .option('--as-of <date>', 'as it stood at this date or time (UTC)')
    .option('--json', 'JSON output')
    .action((opts: { asOf?: string; json?: boolean }) => run(() => evidenceLsCommand({ ...global(), ...opts }, io))());
  evidence
    .command('show')
    .description('records of a kind from its latest collection, a subject\'s history, or a blob by digest')
    .argument('<kind-or-digest>', 'an evidence kind (github.member.v1) or sha256:<digest>')
    .option('--subject <subject>', 'only this subject')
    .option('--history', 'with --subject: every observation of it over time')
    .option('--connector <id>', 'only this connector instance')
    .option('--as-of <date>', 'as it stood at this date or time (UTC)')
    .option('--json', 'JSON output')
    .action((target: string, opts: { subject?: string; history?: boolean; connector?: string; asOf?: string; json?: boolean }) =>
      run(() => evidenceShowCommand(target, { ...global(), ...opts }, io))(),
    );

  evidence
    .command('file')
    .description('write a stored manual evidence file back out (each chunk verified on the way)')
    .argument('<sha256>', 'the file digest (from `evidence show manual.document.v1`)')
    .requiredOption('--out <file>', 'where to write it (must not exist)')
    .action((digest: string, opts: { out: string }) => run(() => evidenceFileCommand(digest, { ...global(), ...opts }, io))());

  program
    .command('verify')
    .description('re-hash every stored payload and walk the run hash chain, or verify an evidence bundle; exit 5 when anything was altered')
    .argument('[bundle]', 'an evidence bundle (.zip) to verify instead of the store')
    .option('--public-key <file>', "with a bundle: the signer's Ed25519 public key (PEM)")
    .option('--json', 'JSON output')
    .action((bundle: string | undefined, opts: { json?: boolean; publicKey?: string }) => run(() => verifyCommand({ ...global(), ...opts }, io, bundle))());

  program
    .command('bundle')
    .description("the auditor's evidence bundle for a period: per-control results day by day, evidence, populations, samples, OSCAL; signed zip")
    .requiredOption('--from <date>', 'first day of the period (UTC)')
    .requiredOption('--to <date>', 'last day of the period (UTC, included)')
    .option('--controls <ids>', 'only these requirements, comma-separated (5.17,8.32,9.2)')
    .option('--all', 'every requirement of the catalog (the default)')
    .requiredOption('--out <file>', 'the bundle to write (must not exist)')
    .option('--key <file>', 'Ed25519 private key (PEM) that signs the manifest; required for zip')
    .addOption(new Option('--format <format>', 'zip (the bundle) or oscal (only the OSCAL assessment results)').choices(['zip', 'oscal']).default('zip'))
    .option('--sample <population:size...>', 'draw samples into the bundle, e.g. merged-prs:25 or merged-prs:auto')
    .option('--seed <seed>', "the auditor's seed for --sample")
    .option('--size-table <file>', 'sample-size table (YAML) for --sample <population>:auto')
    .option('--soa <file>', 'Statement of Applicability (default: soa.path from config)')
    .option('--json', 'JSON summary')
    .action((opts: Omit<BundleCommandOptions, keyof ReturnType<typeof global>>) => run(() => bundleCommand({ ...global(), ...opts }, io))());

  program
    .command('sample')
    .description('a deterministic sample of a population an auditor can re-draw (HMAC-SHA256 rank of ids by seed)')
    .requiredOption('--population <name>', 'merged-prs, dependabot-alerts, members, outside-collaborators')
    .requiredOption('--from <date>', 'first day of the period (UTC)')
    .requiredOption('--to <date>', 'last day of the period (UTC, included)')
    .requiredOption('--size <n|auto>', 'sample size, or auto (from the sample-size table)')
    .requiredOption('--seed <seed>', "the auditor's seed")
    .option('--size-table <file>', 'sample-size table (YAML) for --size auto')
    .option('--json', 'JSON output')
    .action((opts: Omit<SampleCommandOptions, keyof ReturnType<typeof global>>) => run(() => sampleCommand({ ...global(), ...opts }, io))());

  const keys = program.command('keys').description('signing keys for evidence bundles');
  keys
    .command('generate')
    .description('write an Ed25519 key pair: <out>.key (private, 0600) and <out>.pub (for the auditor)')
    .requiredOption('--out <prefix>', 'file name prefix', 'annexa-signing')
    .option('--json', 'JSON output')
    .action((opts: { out: string; json?: boolean }) => run(() => keysGenerateCommand({ ...global(), ...opts }, io))());

  const store = program.command('store').description('evidence store maintenance');
  store
    .command('upgrade')
    .description('verify, upgrade the store in place to the current schema, verify again (same head hash); exit 5 on any problem')
    .option('--json', 'JSON output')
    .action((opts: { json?: boolean }) => run(() => storeUpgradeCommand({ ...global(), ...opts }, io))());
  store
    .command('init')
    .description('create the store or apply pending schema migrations (run as the schema owner); --print-grants prints the writer role\'s GRANTs')
    .option('--print-grants', 'print the GRANTs for the role Annexa writes with (INSERT and SELECT only) and exit')
    .option('--role <role>', 'the writer role for --print-grants', 'annexa_writer')
    .option('--schema <schema>', 'the schema for --print-grants', 'public')
    .option('--json', 'JSON output')
    .action((opts: { printGrants?: boolean; role: string; schema: string; json?: boolean }) => run(() => storeInitCommand({ ...global(), ...opts }, io))());
  store
    .command('migrate')
    .description('copy the store to the other backend (SQLite ⇄ PostgreSQL) and verify both have the same chain head; exit 5 otherwise')
    .requiredOption('--to <url|file>', 'an empty target: postgres://… or a new SQLite file')
    .option('--json', 'JSON output')
    .action((opts: { to: string; json?: boolean }) => run(() => storeMigrateCommand({ ...global(), ...opts }, io))());

  program
    .command('schedule')
    .description('enqueue one run as jobs (one per connector instance) for `annexa worker` processes; needs store.url (PostgreSQL)')
    .option('--only <id...>', 'only these connector ids (or id:collector)')
    .option('--wait', 'wait until the workers have sealed the run (exit 3 when partial)')
    .option('--every <interval>', 'keep running, enqueueing a run every interval (30m, 24h) until SIGTERM')
    .option('--json', 'JSON output')
    .action((opts: { only?: string[]; wait?: boolean; every?: string; json?: boolean }) => run(() => scheduleCommand({ ...global(), ...opts }, io, commandLine()))());

  program
    .command('worker')
    .description('take collection jobs from the queue until SIGTERM (graceful: finish or hand back the running unit)')
    .option('--concurrency <n>', 'units run at once by this process', '1')
    .option('--name <name>', 'worker name shown in `annexa runs <id>` (default: $ANNEXA_WORKER_NAME or the host name)')
    .option('--visibility-timeout <seconds>', 'a worker silent this long is presumed dead and its unit handed to another', '60')
    .option('--grace <seconds>', 'on SIGTERM, how long a running unit may take to finish before it is handed back', '30')
    .option('--healthcheck', 'exit 0 when this worker beat within the visibility timeout (container probes)')
    .action((opts: { concurrency: string; name?: string; visibilityTimeout: string; grace: string; healthcheck?: boolean }) =>
      run(() => workerCommand({ ...global(), ...opts }, io))(),
    );

  program
    .command('connectors')
    .description('connector types, their collectors and the read-only permissions each needs')
    .option('--json', 'JSON output (includes each payload\'s JSON Schema: the data dictionary)')
    .action((opts: { json?: boolean }) => run(() => connectorsCommand({ ...global(), ...opts }, io))());

  return program;
}

/** Runs the CLI and returns the exit code (0 ok, 2 usage/config, 3 partial, 5 verify failed, 1 unexpected). */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  if (io === processIO) {
    // `annexa runs | head`: a closed pipe ends the output, it is not an error.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(exitCodes.ok);
      throw error;
    });
  }
  let code: number = exitCodes.ok;
  const program = buildProgram(io, (c) => (code = c));
  // A process of its own (not a test calling main): keep its heap near what it uses, unless the
  // command keeps most of what it reads (see heap.ts).
  if (io === processIO) {
    program.hook('preAction', (_program, command) => {
      if (!judgesOneSnapshot.has(command.name())) compactHeap();
      if (growsYoungGeneration.has(command.name())) releaseYoungGeneration();
    });
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? exitCodes.ok : exitCodes.usage;
    }
    if (error instanceof ConfigError || error instanceof UsageError || error instanceof StoreLockedError || error instanceof StoreVersionError) {
      io.stderr(`annexa: ${error.message}\n`);
      return exitCodes.usage;
    }
    if (error instanceof StoreWriteError) {
      io.stderr(`annexa: ${error.message}\n`);
      return exitCodes.unexpected;
    }
    if (error instanceof Error && /^no evidence store at /.test(error.message)) {
      io.stderr(`annexa: ${error.message}\n`);
      return exitCodes.usage;
    }
    io.stderr(`annexa: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return exitCodes.unexpected;
  }
}

const invokedDirectly = process.argv[1] !== undefined && /[\\/]src[\\/]cli[\\/]main\.(ts|js)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
