import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { entryNodeFlags } from '../core/version.js';
import { startSandboxEnvironment, sandboxToken, sandboxTokenVariable, type SandboxEnvironment } from '../demo/sandbox-environment.js';

/**
 * The scale-out scenario shared by the worker tests and `bench/scale-out.ts`: the GitHub sandbox
 * behind a proxy that adds latency (a real API is tens of milliseconds away), `instances`
 * connector instances pointing at it (each its own unit, as many organisations would be),
 * optionally the AWS sandbox's organisation of two accounts (one unit per account), a
 * config whose store is PostgreSQL, and `annexa worker` / `annexa schedule` as child processes.
 */
export interface ScaleOutSandbox {
  configFile: string;
  /** The environment the child processes get (the sandbox token and the database URL). */
  env: NodeJS.ProcessEnv;
  /** The connector instances of the config (GitHub organisations, then `aws-acme` when asked for). */
  instanceIds: string[];
  sandbox: SandboxEnvironment;
  /** Requests the sandbox answered so far. */
  requestCount(): number;
  /** Starts `annexa worker --name <name>` with extra arguments; its output goes to `worker-<name>.log` in `dir`. */
  worker(name: string, args?: string[]): ChildProcess;
  /** Runs an `annexa` command to its end; resolves with its exit code and output. */
  cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

const root = resolve(fileURLToPath(import.meta.url), '../../..');

export async function startScaleOutSandbox(options: {
  dir: string;
  databaseUrl: string;
  /** GitHub connector instances (organisations), each one unit. */
  instances: number;
  latencyMs: number;
  /** Adds the sandbox's AWS organisation (`aws-acme`, two accounts: one unit each) behind this much latency. */
  aws?: { latencyMs: number };
  /** The script child processes run (default `bin/annexa.js`; the bench passes a prebuilt bundle). */
  cli?: string;
  now?: Date;
}): Promise<ScaleOutSandbox> {
  const sandbox = await startSandboxEnvironment({ scale: 1, now: options.now ?? new Date(Date.UTC(2026, 0, 5)) });
  const proxy = await startLatencyProxy(sandbox.github.url, options.latencyMs);
  const awsProxy = options.aws ? await startLatencyProxy(sandbox.aws.url, options.aws.latencyMs) : undefined;
  const entries = sandbox.connectorEntries() as { id: string; type: string }[];
  const github = entries.find((e) => e.type === 'github')!;
  const aws = entries.find((e) => e.type === 'aws')!;
  const instanceIds = Array.from({ length: options.instances }, (_, i) => `github-${String(i + 1).padStart(2, '0')}`);
  const connectors: object[] = instanceIds.map((id) => ({ ...github, id, baseUrl: proxy.url }));
  if (awsProxy) {
    const endpoint = awsProxy.url;
    connectors.push({ ...aws, endpoints: { iam: endpoint, sts: endpoint, cloudtrail: endpoint, backup: endpoint } });
    instanceIds.push(aws.id);
  }
  const configFile = join(options.dir, 'annexa.yaml');
  writeFileSync(configFile, stringify({ store: { url: '${ANNEXA_DATABASE_URL}' }, log: { level: 'warn' }, connectors }));
  const env = { ...process.env, [sandboxTokenVariable]: sandboxToken, ANNEXA_DATABASE_URL: options.databaseUrl, ANNEXA_LOG_LEVEL: 'warn' };
  const children = new Set<ChildProcess>();
  const start = (args: string[], log?: string) => {
    // A long-running worker writes to a log file: an unread pipe would fill and block it.
    const output = log ? openSync(join(options.dir, log), 'a') : 'pipe';
    const child = spawn(process.execPath, [...entryNodeFlags(), options.cli ?? join(root, 'bin/annexa.js'), ...args, '--config', configFile], { cwd: options.dir, env, stdio: ['ignore', output, output] });
    if (typeof output === 'number') closeSync(output);
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  return {
    configFile,
    env,
    instanceIds,
    sandbox,
    requestCount: () => sandbox.github.requestCount() + sandbox.aws.requestCount(),
    worker: (name, args = []) => start(['worker', '--name', name, ...args], `worker-${name}.log`),
    cli: (args) =>
      new Promise((done, fail) => {
        const child = start(args);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d));
        child.stderr!.on('data', (d: Buffer) => (stderr += d));
        child.once('error', fail);
        child.once('exit', (code) => done({ code, stdout, stderr }));
      }),
    async close() {
      for (const child of children) child.kill('SIGKILL');
      await proxy.close();
      await awsProxy?.close();
      await sandbox.close();
    },
  };
}

/**
 * A proxy on 127.0.0.1 that delays every request to `target` by `latencyMs`, as a network would.
 * It forwards bytes, not HTTP: each chunk a client sends reaches the API `latencyMs` after it
 * arrived (in order), answers flow back at once. An HTTP proxy parsed and re-sent every request
 * and answer, which cost this process CPU a real network does not (the bench counts it). The Host
 * header stays the proxy's, so the links the API builds (next pages) lead back through it.
 */
export async function startLatencyProxy(target: string, latencyMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const api = connect(Number(upstream.port), upstream.hostname);
    for (const socket of [client, api]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      // Either side gone: so is the other (a client's aborted request, a closed API).
      socket.on('error', () => (socket === client ? api : client).destroy());
    }
    // Timers of one duration fire in the order they were set: chunks stay in order.
    client.on('data', (chunk: Buffer) => setTimeout(() => api.destroyed || api.write(chunk), latencyMs));
    client.once('end', () => setTimeout(() => api.destroyed || api.end(), latencyMs));
    api.pipe(client);
    client.once('close', () => api.destroy());
    api.once('close', () => client.destroy());
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}
