import { describe, expect, it } from 'vitest';
import { redactUrl, sanitizeUrl } from '../../src/http/sanitize-url.js';

describe('sanitizeUrl', () => {
  it('drops user-info and masks secret-looking query parameters', () => {
    expect(sanitizeUrl('https://bot:hunter2@api.example/v1/users?page=2&access_token=abc')).toBe('https://api.example/v1/users?page=2&access_token=REDACTED');
  });

  it('drops the query of what it cannot parse', () => {
    expect(sanitizeUrl('not a url?token=abc')).toBe('not a url');
  });
});

describe('redactUrl', () => {
  it('keeps the user of a database URL and masks its password', () => {
    expect(redactUrl('postgres://annexa:s3cret@db:5432/annexa')).toBe('postgres://annexa:***@db:5432/annexa');
  });

  it('masks a password given as a query parameter, as libpq accepts it', () => {
    const shown = redactUrl('postgres://annexa@db/annexa?password=s3cret&sslmode=require');
    expect(shown).not.toContain('s3cret');
    expect(shown).toBe('postgres://annexa@db/annexa?password=***&sslmode=require');
  });

  it("masks libpq's client-key passphrase (sslpassword)", () => {
    expect(redactUrl('postgres://annexa@db/annexa?sslkey=/k.pem&sslpassword=keypass')).toBe('postgres://annexa@db/annexa?sslkey=%2Fk.pem&sslpassword=***');
  });

  it('masks what it cannot parse as well as it can, and drops its query', () => {
    expect(redactUrl('postgres://annexa:s3cret@db:badport/x?password=also')).not.toMatch(/s3cret|also/);
  });
});
