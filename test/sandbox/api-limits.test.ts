import { describe, expect, it } from 'vitest';
import { createApiLimiter, documentedLimits, type ApiLimitRule } from '../../src/sandbox/api-limits.js';
import type { SandboxApi, SandboxRequest } from '../../src/sandbox/http-server.js';

const api: SandboxApi = {
  name: 'stub',
  handle: () => ({ status: 200 }),
  serverError: () => ({ status: 500 }),
  throttled: (_request, seconds) => ({ status: 429, headers: { 'retry-after': String(seconds) }, body: 'slow down' }),
};

function request(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): SandboxRequest {
  return { method: init.method ?? 'GET', url: new URL(`http://127.0.0.1${path}`), headers: init.headers ?? {}, body: Buffer.from(init.body ?? ''), seq: 1 };
}

describe('createApiLimiter', () => {
  it('refuses a request over a sliding window with the API’s throttling answer and the wait the window implies', () => {
    let now = 10_000;
    const rules: ApiLimitRule[] = [{ name: '2 per second', kind: 'window', max: 2, windowMs: 1000 }];
    const limiter = createApiLimiter(rules, () => now);
    expect('release' in limiter.admit(request('/a'), api)).toBe(true);
    now += 400;
    expect('release' in limiter.admit(request('/a'), api)).toBe(true);
    now += 300;
    const refused = limiter.admit(request('/a'), api);
    expect(refused).toEqual({ response: { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' } });
    expect(limiter.refused()).toEqual({ '2 per second': 1 });
    // The first request leaves the window 1 s after it came: then there is room again.
    now = 11_001;
    expect('release' in limiter.admit(request('/a'), api)).toBe(true);
  });

  it('counts in-flight requests for a concurrency limit until their answers are sent', () => {
    const limiter = createApiLimiter([{ name: '2 at once', kind: 'concurrency', max: 2 }], () => 0);
    const first = limiter.admit(request('/a'), api);
    const second = limiter.admit(request('/b'), api);
    expect('response' in limiter.admit(request('/c'), api)).toBe(true);
    if (!('release' in first) || !('release' in second)) throw new Error('expected admissions');
    first.release();
    first.release(); // a second release of the same request changes nothing
    expect('release' in limiter.admit(request('/d'), api)).toBe(true);
    expect('response' in limiter.admit(request('/e'), api)).toBe(true);
  });

  it('keeps CloudTrail LookupEvents budgets per account and region and leaves other AWS calls alone', () => {
    const limiter = createApiLimiter(documentedLimits.aws, () => 0);
    const lookup = (key: string, region: string) =>
      request('/', { method: 'POST', headers: { 'x-amz-target': 'CloudTrail_20131101.LookupEvents', authorization: `AWS4-HMAC-SHA256 Credential=${key}/20261201/${region}/cloudtrail/aws4_request, SignedHeaders=host, Signature=x` } });
    expect('release' in limiter.admit(lookup('KEY1', 'us-east-1'), api)).toBe(true);
    expect('release' in limiter.admit(lookup('KEY1', 'us-east-1'), api)).toBe(true);
    expect('response' in limiter.admit(lookup('KEY1', 'us-east-1'), api)).toBe(true);
    expect('release' in limiter.admit(lookup('KEY1', 'eu-west-1'), api)).toBe(true);
    expect('release' in limiter.admit(lookup('KEY2', 'us-east-1'), api)).toBe(true);
    expect('release' in limiter.admit(request('/', { method: 'POST', headers: { 'x-amz-target': 'CloudTrail_20131101.DescribeTrails' } }), api)).toBe(true);
  });

  it('charges a Graph $batch one resource unit per request inside it', () => {
    let now = 0;
    const limiter = createApiLimiter(documentedLimits['microsoft-graph'], () => now);
    const batch = request('/v1.0/$batch', { method: 'POST', body: JSON.stringify({ requests: Array.from({ length: 20 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users' })) }) });
    for (let i = 0; i < 400; i++) expect('release' in limiter.admit(batch, api)).toBe(true);
    // 400 × 20 = 8,000 units in 10 s: the next request waits for the window.
    expect('response' in limiter.admit(request('/v1.0/users'), api)).toBe(true);
    now = 10_001;
    expect('release' in limiter.admit(request('/v1.0/users'), api)).toBe(true);
  });
});
