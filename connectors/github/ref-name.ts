import picomatch from 'picomatch';

/**
 * GitHub's documented fnmatch semantics for ruleset ref names (File.fnmatch with
 * File::FNM_PATHNAME and without File::FNM_EXTGLOB): `*` and `?` stop at `/`, `**` crosses
 * directories, `[...]` sets work, braces and extglobs are literal text.
 */
const fnmatch = { nobrace: true, noextglob: true } as const;

/** A ruleset's `ref_name` condition as GitHub returns it. */
export interface RefNameCondition {
  include: readonly string[];
  exclude: readonly string[];
}

/**
 * Whether a branch ruleset's ref-name condition selects `branch`: some include pattern matches
 * and no exclude pattern does. `~ALL` matches every branch, `~DEFAULT_BRANCH` the default one;
 * other patterns are matched against the full ref (`refs/heads/<branch>`). A ruleset without a
 * ref-name condition targets nothing (GitHub: "does not target any resources").
 */
export function refNameSelects(condition: RefNameCondition | null, branch: string, defaultBranch: string): boolean {
  if (!condition) return false;
  const ref = `refs/heads/${branch}`;
  const matches = (pattern: string): boolean =>
    pattern === '~ALL' || (pattern === '~DEFAULT_BRANCH' ? branch === defaultBranch : picomatch.isMatch(ref, pattern, fnmatch));
  return condition.include.some(matches) && !condition.exclude.some(matches);
}
