import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve, relative } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/config.js';
import { systemClock } from '../../core/clock.js';
import { Redactor } from '../../core/redact.js';
import { UsageError } from '../../core/errors.js';
import { connectorRegistry } from '../../registry.js';
import { openSqliteStore } from '../../../storage/sqlite-store.js';
import { startSandboxEnvironment, sandboxToken, sandboxTokenVariable } from '../../demo/sandbox-environment.js';
import { commandLogger, type CliIO, type GlobalOptions } from '../runtime.js';
import { collectWithConfig, formatCollectResult } from './collect.js';
import { json } from '../table.js';
import { exitCodes } from '../exit-codes.js';

export interface DemoOptions extends GlobalOptions {
  dir: string;
  scale: string;
}

/**
 * `annexa demo`: starts the sample APIs, writes the config it uses, runs the real connectors
 * against them into `<dir>/evidence.db`, verifies the store and says where everything is.
 * No credentials and no network beyond 127.0.0.1.
 */
export async function demoCommand(options: DemoOptions, io: CliIO): Promise<number> {
  const scale = Number(options.scale);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 100) throw new UsageError(`--scale ${options.scale}: expected a number between 0 and 100`);
  const dir = resolve(io.cwd, options.dir);
  mkdirSync(dir, { recursive: true });
  const redactor = new Redactor();
  const logger = commandLogger({ logLevel: 'warn', ...options }, io, redactor);
  const sandbox = await startSandboxEnvironment({ scale, now: systemClock.now() });
  try {
    const raw = { store: { path: './evidence.db' }, connectors: sandbox.connectorEntries() };
    const configFile = join(dir, 'annexa.yaml');
    writeFileSync(
      configFile,
      '# Written by `annexa demo`: the config it collected with. The sample APIs it points at\n' +
        '# run only while the demo runs; reading commands (runs, evidence, verify) work any time:\n' +
        `#   npx annexa evidence ls --config ${relative(io.cwd, configFile)}\n` +
        stringify(raw),
    );
    const env = { ...io.env, [sandboxTokenVariable]: sandboxToken };
    const config = parseConfig(raw, configFile, connectorRegistry, { env, readFile: () => '', redactor });
    if (!options.json) {
      io.stdout(
        `Annexa demo: ${sandbox.company.name}, ${sandbox.company.people.length} people; sample GitHub API on ${sandbox.github.url}\n\n`,
      );
    }
    const result = await collectWithConfig({
      config,
      only: [],
      io,
      logger,
      redactor,
      command: `annexa demo --scale ${scale}`,
      clock: systemClock,
      fetch: globalThis.fetch,
    });
    const store = openSqliteStore(config.storePath, { readonly: true });
    const verified = await store.verify();
    const runs = await store.runs();
    await store.close();
    const where = relative(io.cwd, dir) || '.';
    if (options.json) {
      io.stdout(json({ ...result, storePath: config.storePath, configFile, verify: verified, apiRequests: sandbox.github.requestCount() }));
    } else {
      io.stdout(
        formatCollectResult(result, config.storePath) +
          `API requests made: ${sandbox.github.requestCount()}\n` +
          `Verify: ${verified.ok ? 'OK' : 'FAILED'} (${verified.blobsChecked} blobs, ${verified.runsChecked} runs in the chain; head ${verified.headHash?.slice(0, 16)}…)\n` +
          (runs.length > 1 ? `This store now holds ${runs.length} runs: unchanged evidence was stored once and observed again.\n` : '') +
          `\nNext:\n` +
          `  npx annexa evidence ls --config ${where}/annexa.yaml\n` +
          `  npx annexa evidence show github.member.v1 --config ${where}/annexa.yaml\n` +
          `  npx annexa runs --config ${where}/annexa.yaml\n` +
          `  npx annexa verify --config ${where}/annexa.yaml\n`,
      );
    }
    if (!verified.ok) return exitCodes.verifyFailed;
    return result.status === 'complete' ? exitCodes.ok : exitCodes.partial;
  } finally {
    await sandbox.close();
  }
}
