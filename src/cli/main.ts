#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, UsageError } from '../core/errors.js';
import { StoreLockedError } from '../../storage/lock.js';
import { toolVersion } from '../core/version.js';
import { processIO, type CliIO } from './runtime.js';
import { exitCodes } from './exit-codes.js';
import { collectCommand } from './commands/collect.js';
import { demoCommand } from './commands/demo.js';
import { runsCommand } from './commands/runs.js';
import { evidenceLsCommand, evidenceShowCommand } from './commands/evidence.js';
import { verifyCommand } from './commands/verify.js';
import { connectorsCommand } from './commands/connectors.js';

/**
 * The command line: argv to a command function and an exit code, nothing else. Every command
 * takes `--help`; listings take `--json`.
 */
export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('annexa')
    .description('ISO/IEC 27001:2022 evidence collection: connectors, a tamper-evident evidence store, checks and coverage.')
    .version(toolVersion)
    .option('-c, --config <file>', 'config file (default: $ANNEXA_CONFIG or ./annexa.yaml)')
    .option('--store <file>', 'evidence store to read, instead of the config\'s store.path (reading commands)')
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

  program
    .command('verify')
    .description('re-hash every stored payload and walk the run hash chain; exit 5 when anything was altered')
    .option('--json', 'JSON output')
    .action((opts: { json?: boolean }) => run(() => verifyCommand({ ...global(), ...opts }, io))());

  program
    .command('connectors')
    .description('connector types, their collectors and the read-only permissions each needs')
    .option('--json', 'JSON output (includes each payload\'s JSON Schema: the data dictionary)')
    .action((opts: { json?: boolean }) => run(() => connectorsCommand({ ...global(), ...opts }, io))());

  return program;
}

/** Runs the CLI and returns the exit code (0 ok, 2 usage/config, 3 partial, 5 verify failed, 1 unexpected). */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let code: number = exitCodes.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? exitCodes.ok : exitCodes.usage;
    }
    if (error instanceof ConfigError || error instanceof UsageError || error instanceof StoreLockedError) {
      io.stderr(`annexa: ${error.message}\n`);
      return exitCodes.usage;
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
