/**
 * Precomputed lookups over a {@link GithubWorld}, shared by the REST and
 * GraphQL front-ends. GitHub matches owner, repository and user names
 * case-insensitively, so every key here is lower-cased.
 */
import picomatch from 'picomatch';
import type {
  GithubAccount,
  GithubMember,
  GithubOutsideCollaborator,
  GithubPullRequest,
  GithubRepository,
  GithubRuleset,
  GithubRulesetRule,
  GithubWorld,
} from './data.js';

/** Where rendered URLs point. */
export interface UrlBases {
  /** REST base of this server as the client reached it, e.g. `http://127.0.0.1:4000` or `…/api/v3`. */
  apiBase: string;
  /** Web base for `html_url` / GraphQL `url` fields. */
  htmlBase: string;
}

/** A rule as `GET /repos/{owner}/{repo}/rules/branches/{branch}` returns it. */
export type ActiveBranchRule = GithubRulesetRule & {
  ruleset_source_type: GithubRuleset['sourceType'];
  ruleset_source: string;
  ruleset_id: number;
};

/** An outside collaborator's access to one repository. */
export interface RepositoryAccess {
  collaborator: GithubOutsideCollaborator;
  permission: GithubOutsideCollaborator['access'][number]['permission'];
}

/** Read-only indexes over one world. */
export class WorldIndex {
  readonly repositories = new Map<string, GithubRepository>();
  readonly accounts = new Map<string, GithubAccount>();
  readonly members = new Map<string, GithubMember>();
  readonly outside = new Map<string, GithubOutsideCollaborator>();
  private readonly pullsByRepo = new Map<string, GithubPullRequest[]>();
  private readonly rulesetsByRepo = new Map<string, GithubRuleset[]>();
  private readonly accessByRepo = new Map<string, RepositoryAccess[]>();
  private readonly pullsSorted = new Map<string, GithubPullRequest[]>();

  constructor(readonly world: GithubWorld) {
    for (const repo of world.repositories) this.repositories.set(repo.name.toLowerCase(), repo);
    for (const m of world.members) {
      this.members.set(m.login.toLowerCase(), m);
      this.accounts.set(m.login.toLowerCase(), m);
    }
    for (const o of world.outsideCollaborators) {
      this.outside.set(o.login.toLowerCase(), o);
      this.accounts.set(o.login.toLowerCase(), o);
      for (const { repository, permission } of o.access) {
        const key = repository.toLowerCase();
        const list = this.accessByRepo.get(key) ?? [];
        list.push({ collaborator: o, permission });
        this.accessByRepo.set(key, list);
      }
    }
    for (const f of world.formerMembers) this.accounts.set(f.login.toLowerCase(), f);
    for (const pr of world.pullRequests) {
      const key = pr.repository.toLowerCase();
      const list = this.pullsByRepo.get(key) ?? [];
      list.push(pr);
      this.pullsByRepo.set(key, list);
    }
    for (const rs of world.rulesets) {
      for (const name of rs.repositories) {
        const key = name.toLowerCase();
        const list = this.rulesetsByRepo.get(key) ?? [];
        list.push(rs);
        this.rulesetsByRepo.set(key, list);
      }
    }
  }

  /** Whether `login` is this world's organization (case-insensitive). */
  isOrg(login: string): boolean {
    return login.toLowerCase() === this.world.org.login.toLowerCase();
  }

  /** Repository by `owner` and `name`, or `undefined` if either is unknown. */
  repository(owner: string, name: string): GithubRepository | undefined {
    return this.isOrg(owner) ? this.repositories.get(name.toLowerCase()) : undefined;
  }

  /** Merged PRs of a repository (sorted by number). */
  pullRequests(repo: GithubRepository): GithubPullRequest[] {
    return this.pullsByRepo.get(repo.name.toLowerCase()) ?? [];
  }

  /**
   * The outside collaborators of a repository with their permission, in the world's order of
   * collaborators (looked up, not scanned: the collaborator-access chain asks for 100 repositories a page).
   */
  collaboratorsOf(repo: GithubRepository): RepositoryAccess[] {
    return this.accessByRepo.get(repo.name.toLowerCase()) ?? [];
  }

  /**
   * Merged PRs of a repository by `field` (ISO times), then number, ascending; sorted once per
   * repository and field, as GraphQL's `orderBy` asks for them in every batch.
   */
  pullRequestsBy(repo: GithubRepository, field: 'createdAt' | 'updatedAt'): readonly GithubPullRequest[] {
    const key = `${field}\u0000${repo.name.toLowerCase()}`;
    let sorted = this.pullsSorted.get(key);
    if (!sorted) {
      sorted = [...this.pullRequests(repo)].sort((a, b) => (a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : a.number - b.number));
      this.pullsSorted.set(key, sorted);
    }
    return sorted;
  }

  /** Any known account (member, outside collaborator or former member). */
  account(login: string): GithubAccount | undefined {
    return this.accounts.get(login.toLowerCase());
  }

  /** Every ruleset whose repository conditions select `repo` (any enforcement, any branch), by id. */
  rulesetsOf(repo: GithubRepository): GithubRuleset[] {
    return this.rulesetsByRepo.get(repo.name.toLowerCase()) ?? [];
  }

  /**
   * The rules GitHub enforces on a branch: those of the active rulesets whose `ref_name`
   * condition selects it. Organization rules come first, as on GitHub.
   */
  branchRules(repo: GithubRepository, branch: string): ActiveBranchRule[] {
    const rulesets = this.rulesetsOf(repo)
      .filter((rs) => rs.enforcement === 'active' && refNameSelects(rs.refName, `refs/heads/${branch}`, repo.defaultBranch))
      .sort((a, b) => (a.sourceType === b.sourceType ? a.id - b.id : a.sourceType === 'Organization' ? -1 : 1));
    return rulesets.flatMap((rs) =>
      rs.rules.map((rule) => {
        // Key order mirrors GitHub's documented example: type, source fields, then parameters.
        const { type, ...rest } = rule;
        return { type, ruleset_source_type: rs.sourceType, ruleset_source: rs.source, ruleset_id: rs.id, ...rest } as ActiveBranchRule;
      }),
    );
  }
}

/** An opaque cursor (base64 of a position), shaped like GitHub's `cursor:v2:` cursors; REST and GraphQL share it. */
export function encodeCursor(position: number): string {
  return Buffer.from(`cursor:v2:${position}`).toString('base64');
}

/** The position in a cursor from {@link encodeCursor}, or null for anything else. */
export function decodeCursor(cursor: string): number | null {
  const match = /^cursor:v2:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return match ? Number(match[1]) : null;
}

/** GitHub's ref-name condition: `~ALL`, `~DEFAULT_BRANCH` or fnmatch patterns (File::FNM_PATHNAME). */
function refNameSelects(condition: GithubRuleset['refName'], ref: string, defaultBranch: string): boolean {
  const matches = (pattern: string) =>
    pattern === '~ALL' || (pattern === '~DEFAULT_BRANCH' ? ref === `refs/heads/${defaultBranch}` : picomatch.isMatch(ref, pattern, { nobrace: true, noextglob: true }));
  return condition.include.some(matches) && !condition.exclude.some(matches);
}
