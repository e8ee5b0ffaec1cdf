import { describe, expect, it } from 'vitest';
import { refNameSelects } from '../../connectors/github/ref-name.js';

const only = (...include: string[]) => ({ include, exclude: [] });

describe('refNameSelects: GitHub ruleset ref-name conditions', () => {
  it('~DEFAULT_BRANCH selects the default branch only; ~ALL every branch', () => {
    expect(refNameSelects(only('~DEFAULT_BRANCH'), 'main', 'main')).toBe(true);
    expect(refNameSelects(only('~DEFAULT_BRANCH'), 'develop', 'main')).toBe(false);
    expect(refNameSelects(only('~ALL'), 'feature/x/y', 'main')).toBe(true);
  });

  it('matches patterns against the full ref with File::FNM_PATHNAME: * stops at /, ** crosses it (GitHub docs examples)', () => {
    expect(refNameSelects(only('refs/heads/qa/*'), 'qa/hello', 'main')).toBe(true);
    expect(refNameSelects(only('refs/heads/qa/*'), 'qa/foo/bar', 'main')).toBe(false);
    expect(refNameSelects(only('refs/heads/qa/**/*'), 'qa/foo/bar/foobar/hello-world', 'main')).toBe(true);
    expect(refNameSelects(only('refs/heads/qa**/**/*'), 'qa-team/foo/bar', 'main')).toBe(true);
    expect(refNameSelects(only('main'), 'main', 'main')).toBe(false);
    expect(refNameSelects(only('refs/heads/rel?ase'), 'release', 'main')).toBe(true);
    expect(refNameSelects(only('refs/heads/v[0-9]'), 'v7', 'main')).toBe(true);
  });

  it('treats braces and extglobs as literal text (GitHub does not support File::FNM_EXTGLOB)', () => {
    expect(refNameSelects(only('refs/heads/{main,master}'), 'main', 'main')).toBe(false);
    expect(refNameSelects(only('refs/heads/{main,master}'), '{main,master}', 'main')).toBe(true);
    expect(refNameSelects(only('refs/heads/+(a|b)'), 'a', 'main')).toBe(false);
  });

  it('an exclude pattern wins over an include; no condition selects nothing', () => {
    expect(refNameSelects({ include: ['~ALL'], exclude: ['refs/heads/main'] }, 'main', 'main')).toBe(false);
    expect(refNameSelects({ include: ['~ALL'], exclude: ['refs/heads/main'] }, 'master', 'master')).toBe(true);
    expect(refNameSelects({ include: ['~DEFAULT_BRANCH'], exclude: ['~DEFAULT_BRANCH'] }, 'main', 'main')).toBe(false);
    expect(refNameSelects({ include: [], exclude: [] }, 'main', 'main')).toBe(false);
    expect(refNameSelects(null, 'main', 'main')).toBe(false);
  });
});
