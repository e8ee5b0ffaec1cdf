import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { githubConnector } from '../../connectors/github/index.js';
import { loadConfigFile, type AnnexaConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/core/errors.js';
import { Redactor } from '../../src/core/redact.js';
import { Secret } from '../../src/core/secret.js';
import { defaultHttpPolicy } from '../../src/http/http-fetch.js';
import type { ConnectorDefinition } from '../../src/core/connector.js';

const TOKEN = 'ghp_ExampleTokenValue0123456789abcdefABCD';
const registry = [githubConnector as ConnectorDefinition];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'annexa-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `annexa.yaml` (or another name) into a fresh sub-directory and loads it from disk. */
function load(yaml: string, options: { env?: NodeJS.ProcessEnv; name?: string; files?: Record<string, string> } = {}) {
  const sub = mkdtempSync(join(dir, 'case-'));
  const file = join(sub, options.name ?? 'annexa.yaml');
  writeFileSync(file, yaml);
  for (const [name, content] of Object.entries(options.files ?? {})) {
    mkdirSync(resolve(sub, name, '..'), { recursive: true });
    writeFileSync(resolve(sub, name), content);
  }
  const redactor = new Redactor();
  const config = loadConfigFile(file, registry, {
    env: options.env ?? { GITHUB_TOKEN: TOKEN },
    readFile: (path) => readFileSync(path, 'utf8'),
    redactor,
  });
  return { config, file, sub, redactor };
}

/** Loads and returns the ConfigError (fails the test when loading succeeds). */
function loadError(yaml: string, options: Parameters<typeof load>[1] = {}): ConfigError & { fileName: string } {
  let fileName = '';
  try {
    const sub = mkdtempSync(join(dir, 'bad-'));
    fileName = join(sub, options.name ?? 'annexa.yaml');
    writeFileSync(fileName, yaml);
    loadConfigFile(fileName, registry, {
      env: options.env ?? { GITHUB_TOKEN: TOKEN },
      readFile: (path) => readFileSync(path, 'utf8'),
      redactor: new Redactor(),
    });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return Object.assign(error as ConfigError, { fileName });
  }
  throw new Error('expected loadConfigFile to throw a ConfigError');
}

const valid = `
store:
  path: ./data/evidence.db
connectors:
  - id: github-acme
    type: github
    org: acme
    token: \${GITHUB_TOKEN}
`;

describe('loadConfigFile: valid configs', () => {
  it('resolves ${ENV} to a Secret that reveals the value and never prints it', () => {
    const { config, redactor } = load(valid);
    expect(config.connectors).toHaveLength(1);
    const [github] = config.connectors;
    expect(github).toMatchObject({ id: 'github-acme', type: 'github', enabled: true });
    expect(github!.definition).toBe(githubConnector);
    const settings = github!.settings as { org: string; token: Secret; pullRequests: { lookbackDays: number } };
    expect(settings.org).toBe('acme');
    expect(settings.pullRequests.lookbackDays).toBe(90);
    expect(settings.token).toBeInstanceOf(Secret);
    expect(settings.token.reveal()).toBe(TOKEN);
    expect(settings.token.source).toBe('env:GITHUB_TOKEN');

    expect(String(settings.token)).not.toContain(TOKEN);
    expect(`${settings.token}`).toBe('[REDACTED]');
    expect(JSON.stringify(settings.token)).toBe('"[REDACTED]"');
    expect(JSON.stringify(config)).not.toContain(TOKEN);
    expect(inspect(settings.token)).not.toContain(TOKEN);
    expect(inspect(config, { depth: 10 })).not.toContain(TOKEN);
    // Registered with the redactor as it was resolved.
    expect(redactor.redact(`Authorization: ${TOKEN} and again ${TOKEN}`)).not.toContain(TOKEN);
  });

  it('registers even a non-token-shaped secret with the redactor', () => {
    const { redactor } = load(valid, { env: { GITHUB_TOKEN: 'plain-secret-value' } });
    expect(redactor.redact('x plain-secret-value y')).toBe('x [REDACTED] y');
  });

  it('reads { file: path } relative to the config file directory, stripping the trailing newline', () => {
    const yaml = valid.replace('token: ${GITHUB_TOKEN}', 'token: { file: ./secrets/token }');
    const { config, sub, redactor } = load(yaml, { env: {}, files: { 'secrets/token': `${TOKEN}\n` } });
    const token = (config.connectors[0]!.settings as { token: Secret }).token;
    expect(token).toBeInstanceOf(Secret);
    expect(token.reveal()).toBe(TOKEN);
    expect(token.source).toBe('file:./secrets/token');
    expect(sub).not.toBe(process.cwd());
    expect(redactor.redact(TOKEN)).toBe('[REDACTED]');
  });

  it('strips a CRLF trailing newline from a secret file, but only one', () => {
    const yaml = valid.replace('token: ${GITHUB_TOKEN}', 'token: { file: token.txt }');
    const { config } = load(yaml, { files: { 'token.txt': 'abc-secret\r\n' } });
    expect((config.connectors[0]!.settings as { token: Secret }).token.reveal()).toBe('abc-secret');
  });

  it('resolves store.path relative to the config file directory', () => {
    const { config, sub } = load(valid);
    expect(config.storePath).toBe(join(sub, 'data', 'evidence.db'));
  });

  it('keeps an absolute store.path and defaults it next to the config file', () => {
    const abs = join(dir, 'elsewhere', 'e.db');
    expect(load(valid.replace('./data/evidence.db', abs)).config.storePath).toBe(abs);
    const noStore = valid.replace('store:\n  path: ./data/evidence.db\n', '');
    const { config, sub } = load(noStore);
    expect(config.storePath).toBe(join(sub, 'annexa-data', 'evidence.db'));
  });

  it('maps http: overrides (global, then per connector) into the connector http policy', () => {
    const yaml = `
http:
  timeoutSeconds: 12
  maxRetries: 2
connectors:
  - id: github-acme
    type: github
    org: acme
    token: \${GITHUB_TOKEN}
    http:
      concurrency: 7
      maxRateLimitWaitSeconds: 90
      maxRetries: 5
  - id: github-other
    type: github
    org: other
    token: \${GITHUB_TOKEN}
    enabled: false
`;
    const { config } = load(yaml);
    const [a, b] = config.connectors;
    expect(a!.http).toEqual({
      ...defaultHttpPolicy,
      concurrency: 7,
      timeoutMs: 12_000,
      maxRetries: 5,
      maxRateLimitWaitMs: 90_000,
    });
    // Only the global overrides, on top of the connector's own default concurrency (4).
    expect(b!.http).toEqual({ ...defaultHttpPolicy, concurrency: githubConnector.http.concurrency, timeoutMs: 12_000, maxRetries: 2 });
    expect(b!.enabled).toBe(false);
  });

  it('uses the default policy without overrides and accepts an empty file', () => {
    expect(load(valid).config.connectors[0]!.http).toEqual({ ...defaultHttpPolicy, ...githubConnector.http });
    const empty: AnnexaConfig = load('').config;
    expect(empty.connectors).toEqual([]);
    expect(empty.logLevel).toBe('info');
  });

  it('accepts a valid baseUrl and log level', () => {
    const yaml = `log:\n  level: debug\n${valid}    baseUrl: https://github.example.com/api/v3\n`;
    const { config } = load(yaml);
    expect(config.logLevel).toBe('debug');
    expect((config.connectors[0]!.settings as { baseUrl?: string }).baseUrl).toBe('https://github.example.com/api/v3');
  });
});

describe('loadConfigFile: errors name the file and the key path', () => {
  it('wrong type: connectors[1].org', () => {
    const yaml = `${valid}  - id: github-two
    type: github
    org: 42
    token: \${GITHUB_TOKEN}
`;
    const error = loadError(yaml);
    expect(error.message).toContain(error.fileName);
    expect(error.message).toContain(`${error.fileName}: connectors[1].org: expected string`);
    expect(error.file).toBe(error.fileName);
    expect(error.issues).toHaveLength(1);
  });

  it('unknown top-level key', () => {
    const error = loadError(`${valid}colour: blue\n`);
    expect(error.message).toContain(`${error.fileName}: colour: unknown key`);
  });

  it('unknown key inside a connector (a typo)', () => {
    const error = loadError(valid.replace('org: acme', 'orgg: acme'));
    expect(error.message).toContain('connectors[0].orgg: unknown key');
    expect(error.message).toContain(error.fileName);
  });

  it('unknown key inside http overrides', () => {
    const error = loadError(`http:\n  timeout: 5\n${valid}`);
    expect(error.message).toContain('http.timeout: unknown key');
  });

  it('unknown connector type lists the known ones', () => {
    const error = loadError(valid.replace('type: github', 'type: gitlab'));
    expect(error.message).toContain('connectors[0].type');
    expect(error.message).toContain('unknown connector type "gitlab"');
    expect(error.message).toContain('github');
  });

  it('duplicate connector ids', () => {
    const yaml = `${valid}  - id: github-acme
    type: github
    org: acme2
    token: \${GITHUB_TOKEN}
`;
    const error = loadError(yaml);
    expect(error.message).toContain('connectors[1].id: duplicate connector id "github-acme"');
  });

  it('an invalid id', () => {
    const error = loadError(valid.replace('id: github-acme', 'id: GitHub Acme'));
    expect(error.message).toContain('connectors[0].id:');
    expect(error.message).toContain('lower-case');
  });

  it('a missing environment variable names the variable and does not leak other values', () => {
    const error = loadError(valid, { env: { OTHER: 'x' } });
    expect(error.message).toContain('connectors[0].token');
    expect(error.message).toContain('GITHUB_TOKEN');
    expect(error.message).toMatch(/not set/);
  });

  it('an empty environment variable counts as missing', () => {
    const error = loadError(valid, { env: { GITHUB_TOKEN: '' } });
    expect(error.message).toContain('GITHUB_TOKEN');
  });

  it('a missing secret file names the path', () => {
    const error = loadError(valid.replace('token: ${GITHUB_TOKEN}', 'token: { file: ./nope }'));
    expect(error.message).toContain('connectors[0].token');
    expect(error.message).toContain('nope');
    expect(error.message).toContain('ENOENT');
  });

  it('refuses a literal token, pointing at ${...} and never echoing the value', () => {
    const error = loadError(valid.replace('${GITHUB_TOKEN}', TOKEN));
    expect(error.message).toContain('connectors[0].token');
    expect(error.message).toContain('${');
    expect(error.message).not.toContain(TOKEN);
  });

  it('refuses a half-written reference like $GITHUB_TOKEN', () => {
    const error = loadError(valid.replace('${GITHUB_TOKEN}', '$GITHUB_TOKEN'));
    expect(error.message).toContain('connectors[0].token');
  });

  it('a malformed { file } reference is reported as such, not as "expected string"', () => {
    const wrongType = loadError(valid.replace('token: ${GITHUB_TOKEN}', 'token: { file: 3 }'));
    expect(wrongType.message).toContain('connectors[0].token.file: expected string, received number');
    const typo = loadError(valid.replace('token: ${GITHUB_TOKEN}', 'token: { fil: ./token }'));
    expect(typo.message).toContain('connectors[0].token');
    expect(typo.message).not.toContain('received object');
  });

  it('a YAML syntax error names the file', () => {
    const error = loadError('connectors:\n  - id: github-acme\n    type: [github\n', { name: 'broken.yaml' });
    expect(error.message.startsWith(`${error.fileName}:`)).toBe(true);
    expect(error.fileName).toMatch(/broken\.yaml$/);
  });

  it('duplicate YAML keys are an error', () => {
    const error = loadError(`${valid}store:\n  path: x.db\n`);
    expect(error.message).toContain(error.fileName);
  });

  it('an unreadable config file names the file', () => {
    expect(() =>
      loadConfigFile(join(dir, 'does-not-exist.yaml'), registry, {
        env: {},
        readFile: (path) => readFileSync(path, 'utf8'),
        redactor: new Redactor(),
      }),
    ).toThrowError(/does-not-exist\.yaml: cannot read config file/);
  });

  it('a bad baseUrl is rejected', () => {
    const error = loadError(`${valid}    baseUrl: not a url\n`);
    expect(error.message).toContain('connectors[0].baseUrl');
    expect(error.message).toContain('http(s) URL');
  });

  it('http override out of range', () => {
    const error = loadError(valid.replace('token: ${GITHUB_TOKEN}', 'token: ${GITHUB_TOKEN}\n    http:\n      concurrency: 0'));
    expect(error.message).toContain('connectors[0].http.concurrency');
  });

  it('collects every issue instead of stopping at the first', () => {
    const yaml = `connectors:
  - id: a
    type: github
    org: 1
    token: \${GITHUB_TOKEN}
  - id: b
    type: nope
`;
    const error = loadError(yaml);
    expect(error.issues).toHaveLength(2);
    expect(error.issues[0]).toContain('connectors[0].org');
    expect(error.issues[1]).toContain('connectors[1].type');
  });
});

describe('loadConfigFile with an injected readFile', () => {
  it('reads the config and secret files only through readFile', () => {
    const files: Record<string, string> = {
      '/etc/annexa/annexa.yaml': valid.replace('token: ${GITHUB_TOKEN}', 'token: { file: token }'),
      '/etc/annexa/token': 'from-fake-fs\n',
    };
    const read: string[] = [];
    const config = loadConfigFile('/etc/annexa/annexa.yaml', registry, {
      env: {},
      readFile: (path) => {
        read.push(path);
        const content = files[path];
        if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
        return content;
      },
      redactor: new Redactor(),
    });
    expect(read).toEqual(['/etc/annexa/annexa.yaml', '/etc/annexa/token']);
    expect((config.connectors[0]!.settings as { token: Secret }).token.reveal()).toBe('from-fake-fs');
    expect(config.storePath).toBe('/etc/annexa/data/evidence.db');
  });
});
