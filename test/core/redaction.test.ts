import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Redactor } from '../../src/core/redact.js';
import { createLogger } from '../../src/core/logger.js';
import { CollectError, ConfigError, classifyError } from '../../src/core/errors.js';

const SECRET = 'tok-Xq7Lm2Pz9Wv4Ks8R';
const MASK = '[REDACTED]';

/** A fine-grained-looking GitHub token that is never registered with the redactor. */
const GHP = `ghp_${'A1b2C3d4E5f6G7h8I9j0'.repeat(2)}`;
const PAT = `github_pat_11ABCDEFG0_${'xY9'.repeat(20)}`;

describe('Redactor.redact', () => {
  it('masks a registered secret everywhere it occurs', () => {
    const r = new Redactor();
    r.add(SECRET);
    expect(r.redact(`a ${SECRET} b ${SECRET}`)).toBe(`a ${MASK} b ${MASK}`);
  });

  it('masks the longest registered secret first, so a secret containing another is masked whole', () => {
    const r = new Redactor();
    r.add('abcd');
    r.add('abcdefgh');
    // Shortest-first would leave "[REDACTED]efgh", leaking half of the longer secret.
    expect(r.redact('x abcdefgh y')).toBe(`x ${MASK} y`);
    expect(r.redact('x abcd y')).toBe(`x ${MASK} y`);
  });

  it("registers a URL's password as written and decoded; a URL without one, or unparseable, adds nothing", () => {
    const r = new Redactor();
    r.addUrlPassword('http://svc:p%40ss-w0rd@proxy.corp:3128');
    expect(r.redact('sent p@ss-w0rd, wrote p%40ss-w0rd')).toBe(`sent ${MASK}, wrote ${MASK}`);
    const bad = new Redactor();
    bad.addUrlPassword('postgres://annexa:100%zz-pass@db/annexa');
    expect(bad.redact('100%zz-pass')).toBe(MASK);
    const none = new Redactor();
    none.addUrlPassword('http://proxy.corp:3128');
    none.addUrlPassword('not a url :secret@');
    expect(none.redact('proxy.corp secret')).toBe('proxy.corp secret');
  });

  it('ignores very short values instead of destroying every message', () => {
    const r = new Redactor();
    r.add('a');
    expect(r.redact('a banana')).toBe('a banana');
  });

  it('masks GitHub token shapes even when they were never registered', () => {
    const r = new Redactor();
    expect(r.redact(`token is ${GHP}.`)).toBe(`token is ${MASK}.`);
    expect(r.redact(`pat=${PAT} end`)).not.toContain(PAT);
    expect(r.redact(`pat ${PAT} end`)).toBe(`pat ${MASK} end`);
    for (const prefix of ['gho_', 'ghu_', 'ghs_', 'ghr_']) {
      const token = `${prefix}${'Zz09'.repeat(9)}`;
      expect(r.redact(`x ${token} y`)).toBe(`x ${MASK} y`);
    }
  });

  it('leaves ordinary text alone', () => {
    const r = new Redactor();
    r.add(SECRET);
    const text = 'GET https://api.github.com/orgs/acme/members?page=2 returned 200';
    expect(r.redact(text)).toBe(text);
  });

  it('masks Authorization header values, keeping the scheme', () => {
    const r = new Redactor();
    expect(r.redact('Authorization: Bearer abc.def-ghi')).toBe(`Authorization: Bearer ${MASK}`);
    expect(r.redact('authorization: token s0mething')).toBe(`authorization: token ${MASK}`);
    expect(r.redact('{"authorization":"Bearer xyz123"}')).toBe(`{"authorization":"Bearer ${MASK}"}`);
    expect(r.redact('x-api-key=k3y-value')).toBe(`x-api-key=${MASK}`);
  });

  it('masks access_token and other secret query parameters, keeping the rest of the URL', () => {
    const r = new Redactor();
    expect(r.redact('https://api.example.test/x?access_token=s3cr3t&page=2')).toBe(
      `https://api.example.test/x?access_token=${MASK}&page=2`,
    );
    expect(r.redact('https://h/cb?state=1&code=abc#frag')).toBe(`https://h/cb?state=1&code=${MASK}#frag`);
    expect(r.redact('https://h/x?page=2&per_page=100')).toBe('https://h/x?page=2&per_page=100');
  });
});

describe('Redactor.redactDeep', () => {
  it('redacts strings in nested objects and arrays and keeps other values', () => {
    const r = new Redactor();
    r.add(SECRET);
    const input = {
      n: 42,
      ok: true,
      nothing: null,
      list: ['plain', `has ${SECRET}`, { deeper: [`Authorization: Bearer ${SECRET}`] }],
      nested: { url: 'https://h/?access_token=zzz', token: GHP },
    };
    const out = r.redactDeep(input);
    expect(out).toEqual({
      n: 42,
      ok: true,
      nothing: null,
      list: ['plain', `has ${MASK}`, { deeper: [`Authorization: Bearer ${MASK}`] }],
      nested: { url: `https://h/?access_token=${MASK}`, token: MASK },
    });
    // The input is not mutated.
    expect(input.list[1]).toBe(`has ${SECRET}`);
    expect(JSON.stringify(out)).not.toContain(SECRET);
  });

  it('survives reference cycles, keeping shared (non-cyclic) references', () => {
    const r = new Redactor();
    r.add(SECRET);
    const shared = { s: SECRET };
    const cyclic: Record<string, unknown> = { a: shared, b: shared };
    cyclic.self = cyclic;
    const out = r.redactDeep(cyclic) as Record<string, unknown>;
    expect(out.self).toBe('[Circular]');
    expect(out.a).toEqual({ s: MASK });
    expect(out.b).toEqual({ s: MASK });
  });

  it('returns clean plain objects and arrays as they are, and copies only the path to a masked string', () => {
    const r = new Redactor();
    r.add(SECRET);
    const clean = { name: 'alice', tags: ['a', 'b'], nested: { n: 1 } };
    expect(r.redactDeep(clean)).toBe(clean);
    const mixed = { clean: { n: 1, list: ['x'] }, dirty: { s: `x ${SECRET}`, keep: { k: 'v' } }, after: 'plain' };
    const out = r.redactDeep(mixed);
    expect(out).not.toBe(mixed);
    expect(out.clean).toBe(mixed.clean);
    expect(out.dirty).not.toBe(mixed.dirty);
    expect(out.dirty.keep).toBe(mixed.dirty.keep);
    expect(out).toEqual({ clean: { n: 1, list: ['x'] }, dirty: { s: `x ${MASK}`, keep: { k: 'v' } }, after: 'plain' });
    expect(mixed.dirty.s).toBe(`x ${SECRET}`);
    const list = ['a', `b ${SECRET}`, 'c'];
    expect(r.redactDeep(list)).toEqual(['a', `b ${MASK}`, 'c']);
    expect(list[1]).toBe(`b ${SECRET}`);
  });

  it('still turns other objects into plain copies, as JSON would see them', () => {
    const r = new Redactor();
    class Point {
      constructor(readonly x: number) {}
    }
    const point = new Point(1);
    const out = r.redactDeep({ point, date: new Date(0), bare: Object.assign(Object.create(null) as object, { k: 'v' }) });
    expect(out.point).not.toBe(point);
    expect(Object.getPrototypeOf(out.point)).toBe(Object.prototype);
    expect(out.point).toEqual({ x: 1 });
    expect(out.date).toEqual({});
    expect(Object.getPrototypeOf(out.bare)).toBe(Object.prototype);
  });

  it('masks strings equally when a secret is registered after earlier calls', () => {
    const r = new Redactor();
    expect(r.redact(`a ${SECRET}`)).toBe(`a ${SECRET}`);
    r.add(SECRET);
    r.add(SECRET.slice(0, 6));
    expect(r.redact(`a ${SECRET} ${SECRET.slice(0, 6)}`)).toBe(`a ${MASK} ${MASK}`);
  });
});

describe('createLogger', () => {
  function capture(level = 'debug') {
    const lines: string[] = [];
    const redactor = new Redactor();
    redactor.add(SECRET);
    const logger = createLogger({ redactor, level, destination: { write: (s: string) => void lines.push(s) } });
    const records = () =>
      lines
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { logger, lines, records, redactor };
  }

  function expectClean(lines: string[], count: number) {
    const text = lines.join('');
    expect(text).not.toContain(SECRET);
    expect(text).toContain(MASK);
    expect(text.trim().split('\n')).toHaveLength(count);
  }

  it('writes JSON lines', () => {
    const { logger, records } = capture();
    logger.info({ a: 1 }, 'hello');
    expect(records()).toEqual([expect.objectContaining({ level: 30, a: 1, msg: 'hello' })]);
  });

  it('never writes a secret in the message string', () => {
    const { logger, lines, records } = capture();
    logger.info(`calling with ${SECRET}`);
    logger.warn({ x: 1 }, `again ${SECRET}`);
    logger.info('interpolated %s', SECRET);
    expectClean(lines, 3);
    expect(records().map((r) => r.msg)).toEqual([`calling with ${MASK}`, `again ${MASK}`, `interpolated ${MASK}`]);
  });

  it('never writes a secret in a logged object field, however deep', () => {
    const { logger, lines, records } = capture();
    logger.info({ token: SECRET, nested: { list: [`Bearer-ish ${SECRET}`] }, url: 'https://h/?access_token=abc' }, 'obj');
    expectClean(lines, 1);
    const [rec] = records();
    expect(rec).toMatchObject({ token: MASK, nested: { list: [`Bearer-ish ${MASK}`] }, url: `https://h/?access_token=${MASK}` });
  });

  it('never writes a secret from a logged Error, with or without a message', () => {
    const { logger, lines, records } = capture();
    logger.error(new Error(`boom ${SECRET}`));
    logger.error({ err: new Error(`boom2 ${SECRET}`) });
    logger.error({ err: new CollectError('auth_failed', `bad credentials ${SECRET}`, { endpoint: 'https://h/x' }) }, 'collector failed');
    expectClean(lines, 3);
    const [a, b, c] = records();
    expect(a?.msg).toBe(`boom ${MASK}`);
    expect(a?.err).toMatchObject({ message: `boom ${MASK}`, type: 'Error' });
    expect(String((a?.err as { stack?: string }).stack)).toContain(`Error: boom ${MASK}`);
    expect(b?.msg).toBe(`boom2 ${MASK}`);
    expect(c?.msg).toBe('collector failed');
    expect(c?.err).toMatchObject({ type: 'CollectError', code: 'auth_failed', message: `bad credentials ${MASK}`, endpoint: 'https://h/x' });
  });

  it('never writes a secret from an error cause or an unregistered token in an error', () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error('outer', { cause: new Error(`inner ${SECRET} ${GHP}`) }) }, 'wrapped');
    const text = lines.join('');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(GHP);
    expect(text).toContain('inner');
  });

  it('never writes a secret in child bindings or interpolated objects', () => {
    const { logger, lines } = capture();
    logger.child({ connector: 'github-acme', token: SECRET }).info('from child');
    logger.info('as json %j', { token: SECRET });
    logger.info('as object %o', { token: SECRET });
    logger.info('as string %s', new Error(`wrapped ${SECRET}`));
    logger.child({ connector: 'github-acme' }).child({ collector: 'members', auth: `Bearer ${SECRET}` }).info('grandchild');
    expectClean(lines, 5);
    expect(JSON.parse(lines[3]!).msg).toBe(`as string Error: wrapped ${MASK}`);
    expect(lines[4]).toContain('"collector":"members"');
    expect(lines[0]).toContain('github-acme');
  });

  it('does not throw on a circular logged object', () => {
    const { logger, lines } = capture();
    const loop: Record<string, unknown> = { token: SECRET };
    loop.self = loop;
    expect(() => logger.info({ loop }, 'circular')).not.toThrow();
    expectClean(lines, 1);
  });

  it('respects the level', () => {
    const { logger, lines } = capture('warn');
    logger.info(`quiet ${SECRET}`);
    logger.warn('loud');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('loud');
  });
});

describe('classifyError', () => {
  const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });

  it.each([
    [401, 'auth_failed'],
    [403, 'permission_denied'],
    [404, 'not_found'],
    [410, 'not_found'],
    [408, 'timeout'],
    [429, 'rate_limited'],
    [500, 'server_error'],
    [503, 'server_error'],
  ] as const)('HTTP %i → %s', (status, code) => {
    expect(classifyError(httpError(status)).code).toBe(code);
  });

  it('puts the status in the message', () => {
    expect(classifyError(httpError(404)).message).toMatch(/^HTTP 404: /);
  });

  it('classifies a ZodError as invalid_payload, also when wrapped', () => {
    const result = z.object({ login: z.string() }).safeParse({ login: 42 });
    expect(result.success).toBe(false);
    const zodError = result.error!;
    expect(classifyError(zodError).code).toBe('invalid_payload');
    expect(classifyError(new Error('wrapped', { cause: zodError })).code).toBe('invalid_payload');
  });

  it('keeps the code of a CollectError, also nested in cause (and over an HTTP status)', () => {
    const inner = new CollectError('rate_limited', 'rate limit exhausted');
    expect(classifyError(inner)).toEqual({ code: 'rate_limited', message: 'rate limit exhausted' });
    const wrapped = Object.assign(new Error('request failed', { cause: new Error('middle', { cause: inner }) }), { status: 500 });
    expect(classifyError(wrapped)).toEqual({ code: 'rate_limited', message: 'rate limit exhausted' });
  });

  it('does not loop on a cyclic cause chain', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(classifyError(a).code).toBe('unexpected');
  });

  it('maps ConfigError, AbortError, TimeoutError and unknown values', () => {
    expect(classifyError(new ConfigError('bad')).code).toBe('config');
    expect(classifyError(new DOMException('stop', 'AbortError')).code).toBe('aborted');
    expect(classifyError(new DOMException('slow', 'TimeoutError')).code).toBe('timeout');
    expect(classifyError('weird')).toEqual({ code: 'unexpected', message: 'weird' });
    expect(classifyError(httpError(418)).code).toBe('unexpected');
  });
});
