import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { processIO } from '../../src/cli/runtime.js';

/**
 * The deployment files cannot be run here (no Docker, no cluster), so they are checked: each
 * parses, every Annexa command they run exists with the options they pass, and every environment
 * variable they give an Annexa container is read by the code or by the config they mount.
 */
const root = join(import.meta.dirname, '../..');
const deployDir = join(root, 'deploy');
const files = ['docker-compose.yml', 'kubernetes/annexa.yaml'];

/** Every `annexa ...` invocation (argv after the entrypoint) and env var name given to an Annexa container. */
function annexaContainers(file: string): { argv: string[][]; env: string[]; configs: string[] } {
  const docs = parseAllDocuments(readFileSync(join(deployDir, file), 'utf8'), { merge: true });
  for (const doc of docs) expect(doc.errors, `${file} parses`).toEqual([]);
  const argv: string[][] = [];
  const env = new Set<string>();
  const configs: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const value = node as Record<string, unknown>;
    if (typeof value.image === 'string' && value.image.startsWith('annexa')) {
      const args = (value.command ?? value.args) as string[] | undefined;
      if (args) argv.push(args);
      const environment = value.environment ?? value.env;
      if (Array.isArray(environment)) for (const e of environment as { name: string }[]) env.add(e.name);
      else if (environment && typeof environment === 'object') for (const name of Object.keys(environment)) env.add(name);
    }
    // Probes and healthchecks run the CLI through node.
    const probe = (value.exec as { command?: string[] } | undefined)?.command ?? (Array.isArray(value.test) ? (value.test as string[]) : undefined);
    const at = probe?.indexOf('/app/bin/annexa.js') ?? -1;
    if (probe && at >= 0) argv.push(probe.slice(at + 1));
    if (typeof value['annexa.yaml'] === 'string') configs.push(value['annexa.yaml']);
    Object.values(value).forEach(visit);
  };
  for (const doc of docs) visit(doc.toJS({ maxAliasCount: -1 }));
  return { argv, env: [...env].sort(), configs };
}

/** The command an argv names (`store init` is two words), and the options it accepts. */
function resolveCommand(argv: readonly string[]): { path: string; options: string[]; rest: string[] } | undefined {
  let command: Command = buildProgram(processIO, () => {});
  const globals = command.options.map((o) => o.long!);
  const path: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const sub = command.commands.find((c) => c.name() === argv[i]);
    if (!sub) break;
    command = sub;
    path.push(argv[i]!);
  }
  if (path.length === 0) return undefined;
  return { path: path.join(' '), options: [...globals, ...command.options.map((o) => o.long!)], rest: argv.slice(i) as string[] };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}
const sources = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'storage'))].map((f) => readFileSync(f, 'utf8')).join('\n');

describe('deployment files', () => {
  for (const file of files) {
    it(`${file}: commands exist with their options, env vars are read`, () => {
      const { argv, env, configs } = annexaContainers(file);
      expect(argv.length).toBeGreaterThanOrEqual(2);
      for (const args of argv) {
        const command = resolveCommand(args);
        expect(command, `${file}: annexa ${args.join(' ')}`).toBeDefined();
        for (const option of command!.rest.filter((a) => a.startsWith('--'))) {
          expect(command!.options, `${file}: annexa ${command!.path} ${option}`).toContain(option);
        }
      }
      const mountedConfig = [readFileSync(join(deployDir, 'annexa.yaml'), 'utf8'), ...configs].join('\n');
      for (const name of env) {
        const readByCode = sources.includes(`env.${name}`) || sources.includes(`env['${name}']`);
        const referencedByConfig = mountedConfig.includes(`\${${name}}`);
        expect(readByCode || referencedByConfig, `${file}: ${name} is read by the code or the config it mounts`).toBe(true);
      }
      expect(env).toContain('ANNEXA_DATABASE_URL');
    });
  }

  it('run the commands the README documents: a scheduler, three workers with a health check', () => {
    const compose = annexaContainers('docker-compose.yml').argv.map((a) => a.join(' '));
    expect(compose).toEqual(['store init', 'schedule --every 24h', 'worker --concurrency 1', 'worker --healthcheck']);
    const kubernetes = annexaContainers('kubernetes/annexa.yaml').argv.map((a) => a.join(' '));
    expect(kubernetes).toEqual(['worker --concurrency 1', 'worker --healthcheck', 'schedule']);
    const doc = parseAllDocuments(readFileSync(join(deployDir, 'kubernetes/annexa.yaml'), 'utf8'), { merge: true }).map((d) => d.toJS({ maxAliasCount: -1 }) as { kind: string; spec?: { replicas?: number } });
    expect(doc.map((d) => d.kind)).toEqual(['ConfigMap', 'Deployment', 'CronJob']);
    expect(doc[1]!.spec!.replicas).toBe(3);
    expect(relative(root, deployDir)).toBe('deploy');
  });
});
