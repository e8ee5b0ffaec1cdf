/**
 * The subset of GitHub's GraphQL schema the sandbox implements, as resolvers
 * over the synthetic world.
 *
 * Root fields: `organization(login)`, `repository(owner, name)`,
 * `user(login)`, `rateLimit`. Connections follow GitHub's rules: `first` or
 * `last` is mandatory and at most 100, cursors are opaque base64 strings,
 * `pageInfo` has `hasNextPage`/`hasPreviousPage`/`startCursor`/`endCursor`.
 * Queries are resolved by their shape, not by operation name, so any query
 * a connector writes against these types works as it would on GitHub.
 */
import type {
  GithubAccount,
  GithubClassicBranchProtection,
  GithubMember,
  GithubOrganization,
  GithubPullRequest,
  GithubRepository,
  GithubRepositoryPermission,
  GithubReview,
} from '../data.js';
import type { UrlBases, WorldIndex } from '../lookup.js';
import { type FieldResolver, type GqlSchema, GqlFieldError, GqlObject, gqlObject } from './executor.js';

/** Rate-limit numbers for the `rateLimit` field, captured when the request arrived. */
export interface RateLimitSnapshot {
  limit: number;
  remaining: number;
  used: number;
  resetAt: string;
}

/** Per-request context handed to every resolver. */
export interface GqlContext {
  index: WorldIndex;
  urls: UrlBases;
  rateLimit: RateLimitSnapshot;
}

type Args = Record<string, unknown>;
type Resolvers<S> = Record<string, (source: S, args: Args, ctx: GqlContext) => unknown>;

// ---------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------

interface EdgeSource {
  cursor: string;
  node: unknown;
  extra: Record<string, unknown>;
}

interface ConnectionSource {
  totalCount: number;
  nodes: unknown[];
  edges: EdgeSource[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** Opaque cursor (base64 of a position), similar in look to GitHub's `cursor:v2:` cursors. */
function encodeCursor(position: number): string {
  return Buffer.from(`cursor:v2:${position}`).toString('base64');
}

function decodeCursor(cursor: unknown, argName: string): number {
  if (typeof cursor !== 'string') throw new GqlFieldError(`Argument '${argName}' must be a string cursor.`);
  const match = /^cursor:v2:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw new GqlFieldError(`\`${cursor}\` does not appear to be a valid cursor.`);
  return Number(match[1]);
}

function intArg(args: Args, name: string, field: string): number | null {
  const value = args[name];
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new GqlFieldError(`Argument '${name}' on Field '${field}' has an invalid value (${JSON.stringify(value)}). Expected type 'Int'.`);
  }
  if (value < 0) throw new GqlFieldError(`\`${name}\` on the \`${field}\` connection cannot be less than zero.`);
  if (value > 100) {
    throw new GqlFieldError(
      `Requesting ${value} records on the \`${field}\` connection exceeds the \`${name}\` limit of 100 records.`,
      'EXCESSIVE_PAGINATION',
    );
  }
  return value;
}

/**
 * Slices `items` per the Relay arguments (`first`/`after`/`last`/`before`)
 * with GitHub's validation rules.
 */
function connection<T>(
  field: string,
  items: T[],
  args: Args,
  node: (item: T) => unknown,
  extra: (item: T) => Record<string, unknown> = () => ({}),
): ConnectionSource {
  const first = intArg(args, 'first', field);
  const last = intArg(args, 'last', field);
  if (first === null && last === null) {
    throw new GqlFieldError(
      `You must provide a \`first\` or \`last\` value to properly paginate the \`${field}\` connection.`,
      'MISSING_PAGINATION_BOUNDARIES',
    );
  }
  if (first !== null && last !== null) {
    throw new GqlFieldError(`Passing both \`first\` and \`last\` to paginate the \`${field}\` connection is not supported.`);
  }
  let start = 0;
  let end = items.length;
  if (args.after !== null && args.after !== undefined) start = Math.min(items.length, decodeCursor(args.after, 'after') + 1);
  if (args.before !== null && args.before !== undefined) end = Math.max(start, Math.min(end, decodeCursor(args.before, 'before')));
  if (first !== null) end = Math.min(end, start + first);
  if (last !== null) start = Math.max(start, end - last);

  const edges = items.slice(start, end).map((item, i) => ({
    cursor: encodeCursor(start + i),
    node: node(item),
    extra: extra(item),
  }));
  return {
    totalCount: items.length,
    nodes: edges.map((e) => e.node),
    edges,
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

function connectionResolvers(edgeType: string): Resolvers<ConnectionSource> {
  return {
    totalCount: (s) => s.totalCount,
    nodes: (s) => s.nodes,
    edges: (s) => s.edges.map((e) => gqlObject(edgeType, e)),
    pageInfo: (s) => gqlObject('PageInfo', s.pageInfo),
  };
}

function edgeResolvers(extraFields: string[] = []): Resolvers<EdgeSource> {
  const out: Resolvers<EdgeSource> = { cursor: (e) => e.cursor, node: (e) => e.node };
  for (const f of extraFields) out[f] = (e) => e.extra[f] ?? null;
  return out;
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function orderBy(args: Args): { field: string | null; direction: 'ASC' | 'DESC' } {
  const raw = args.orderBy;
  if (raw === null || raw === undefined || typeof raw !== 'object') return { field: null, direction: 'ASC' };
  const o = raw as Record<string, unknown>;
  return {
    field: typeof o.field === 'string' ? o.field : null,
    direction: o.direction === 'DESC' ? 'DESC' : 'ASC',
  };
}

function stringList(value: unknown): string[] | null {
  if (value === null || value === undefined) return null;
  return (Array.isArray(value) ? value : [value]).map(String);
}

const time = (iso: string): number => Date.parse(iso);

function repoUrl(ctx: GqlContext, repo: GithubRepository): string {
  return `${ctx.urls.htmlBase}/${ctx.index.world.org.login}/${repo.name}`;
}

function userObject(ctx: GqlContext, login: string): GqlObject | null {
  const account = ctx.index.account(login);
  return account ? gqlObject('User', account) : null;
}

const PERMISSION_ENUM: Record<GithubRepositoryPermission, string> = {
  pull: 'READ',
  triage: 'TRIAGE',
  push: 'WRITE',
  maintain: 'MAINTAIN',
  admin: 'ADMIN',
};

const LANGUAGE_COLORS: Record<string, string> = {
  TypeScript: '#3178c6',
  Python: '#3572A5',
  Go: '#00ADD8',
  'C++': '#f34b7d',
  Rust: '#dea584',
  HCL: '#844FBA',
  Java: '#b07219',
};

interface PullSource {
  repo: GithubRepository;
  pr: GithubPullRequest;
}

interface ReviewSource extends PullSource {
  review: GithubReview;
}

interface RefSource {
  repo: GithubRepository;
  name: string;
}

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

const query: Resolvers<null> = {
  organization: (_s, args, ctx) => {
    const login = String(args.login ?? '');
    if (!ctx.index.isOrg(login)) {
      throw new GqlFieldError(`Could not resolve to an Organization with the login of '${login}'.`, 'NOT_FOUND');
    }
    return gqlObject('Organization', ctx.index.world.org);
  },
  repository: (_s, args, ctx) => {
    const owner = String(args.owner ?? '');
    const name = String(args.name ?? '');
    const repo = ctx.index.repository(owner, name);
    if (!repo) throw new GqlFieldError(`Could not resolve to a Repository with the name '${owner}/${name}'.`, 'NOT_FOUND');
    return gqlObject('Repository', repo);
  },
  user: (_s, args, ctx) => {
    const login = String(args.login ?? '');
    const user = userObject(ctx, login);
    if (!user) throw new GqlFieldError(`Could not resolve to a User with the login of '${login}'.`, 'NOT_FOUND');
    return user;
  },
  rateLimit: (_s, _a, ctx) => gqlObject('RateLimit', ctx.rateLimit),
};

const organization: Resolvers<GithubOrganization> = {
  id: (o) => o.nodeId,
  databaseId: (o) => o.id,
  login: (o) => o.login,
  name: (o) => o.name,
  description: (o) => o.description,
  email: (o) => o.email,
  location: (o) => o.location,
  websiteUrl: (o) => o.blog,
  url: (o, _a, ctx) => `${ctx.urls.htmlBase}/${o.login}`,
  avatarUrl: (o, _a, ctx) => `${ctx.urls.htmlBase}/avatars/u/${o.id}?v=4`,
  createdAt: (o) => o.createdAt,
  updatedAt: (o) => o.updatedAt,
  requiresTwoFactorAuthentication: (o) => o.twoFactorRequirementEnabled,
  repository: (_o, args, ctx) => {
    const repo = ctx.index.repositories.get(String(args.name ?? '').toLowerCase());
    return repo ? gqlObject('Repository', repo) : null;
  },
  repositories: (_o, args, ctx) => {
    const { field, direction } = orderBy(args);
    let repos = ctx.index.world.repositories.slice();
    if (typeof args.isArchived === 'boolean') repos = repos.filter((r) => r.archived === args.isArchived);
    if (args.isFork === true) repos = [];
    if (args.privacy === 'PUBLIC') repos = repos.filter((r) => r.visibility === 'public');
    if (args.privacy === 'PRIVATE') repos = repos.filter((r) => r.visibility !== 'public');
    const key: Record<string, (r: GithubRepository) => number> = {
      CREATED_AT: (r) => time(r.createdAt),
      UPDATED_AT: (r) => time(r.updatedAt),
      PUSHED_AT: (r) => time(r.pushedAt),
      STARGAZERS: () => 0,
    };
    const byKey = field !== null ? key[field] : undefined;
    // Default order is by name, which is what the sandbox documents.
    repos.sort((a, b) => (byKey ? byKey(a) - byKey(b) : 0) || a.name.localeCompare(b.name));
    if (direction === 'DESC') repos.reverse();
    return gqlObject(
      'RepositoryConnection',
      connection('repositories', repos, args, (r) => gqlObject('Repository', r)),
    );
  },
  membersWithRole: (_o, args, ctx) =>
    gqlObject(
      'OrganizationMemberConnection',
      connection(
        'membersWithRole',
        ctx.index.world.members,
        args,
        (m) => gqlObject('User', m),
        (m: GithubMember) => ({ role: m.role === 'admin' ? 'ADMIN' : 'MEMBER', hasTwoFactorEnabled: m.twoFactorEnabled }),
      ),
    ),
};

const repository: Resolvers<GithubRepository> = {
  id: (r) => r.nodeId,
  databaseId: (r) => r.id,
  name: (r) => r.name,
  nameWithOwner: (r, _a, ctx) => `${ctx.index.world.org.login}/${r.name}`,
  description: (r) => r.description,
  url: (r, _a, ctx) => repoUrl(ctx, r),
  isArchived: (r) => r.archived,
  isPrivate: (r) => r.visibility !== 'public',
  isFork: () => false,
  isDisabled: () => false,
  isEmpty: () => false,
  isLocked: () => false,
  isTemplate: () => false,
  visibility: (r) => r.visibility.toUpperCase(),
  createdAt: (r) => r.createdAt,
  updatedAt: (r) => r.updatedAt,
  pushedAt: (r) => r.pushedAt,
  archivedAt: (r) => r.archivedAt,
  owner: (_r, _a, ctx) => gqlObject('Organization', ctx.index.world.org),
  primaryLanguage: (r) => gqlObject('Language', r.language),
  defaultBranchRef: (r) => gqlObject('Ref', { repo: r, name: r.defaultBranch } satisfies RefSource),
  ref: (r, args) => {
    const qualified = String(args.qualifiedName ?? '');
    const name = qualified.replace(/^refs\/heads\//, '');
    return [r.defaultBranch, ...r.otherBranches].includes(name) ? gqlObject('Ref', { repo: r, name } satisfies RefSource) : null;
  },
  branchProtectionRules: (r, args) =>
    gqlObject(
      'BranchProtectionRuleConnection',
      connection('branchProtectionRules', r.classicProtection ? [r.classicProtection] : [], args, (p) =>
        gqlObject('BranchProtectionRule', p),
      ),
    ),
  pullRequests: (r, args, ctx) => {
    const states = stringList(args.states);
    const base = typeof args.baseRefName === 'string' ? args.baseRefName : null;
    const head = typeof args.headRefName === 'string' ? args.headRefName : null;
    const { field, direction } = orderBy(args);
    const key = field === 'UPDATED_AT' ? (p: GithubPullRequest) => time(p.updatedAt) : (p: GithubPullRequest) => time(p.createdAt);
    const pulls = ctx.index
      .pullRequests(r)
      .filter(
        (p) =>
          // Every PR in the sandbox is merged.
          (states === null || states.includes('MERGED')) &&
          (base === null || p.baseRefName === base) &&
          (head === null || p.headRefName === head),
      )
      .sort((a, b) => key(a) - key(b) || a.number - b.number);
    if (direction === 'DESC') pulls.reverse();
    return gqlObject(
      'PullRequestConnection',
      connection('pullRequests', pulls, args, (pr) => gqlObject('PullRequest', { repo: r, pr } satisfies PullSource)),
    );
  },
  collaborators: (r, args, ctx) => {
    // Outside collaborators have direct grants; members get the org base
    // permission (read) and owners admin — so ALL includes them, DIRECT and
    // OUTSIDE do not.
    const affiliation = typeof args.affiliation === 'string' ? args.affiliation : 'ALL';
    const entries: { account: GithubAccount; permission: string }[] = [];
    if (affiliation === 'ALL') {
      for (const m of ctx.index.world.members) entries.push({ account: m, permission: m.role === 'admin' ? 'ADMIN' : 'READ' });
    }
    for (const o of ctx.index.world.outsideCollaborators) {
      const grant = o.access.find((a) => a.repository === r.name);
      if (grant) entries.push({ account: o, permission: PERMISSION_ENUM[grant.permission] });
    }
    entries.sort((a, b) => a.account.id - b.account.id);
    return gqlObject(
      'RepositoryCollaboratorConnection',
      connection('collaborators', entries, args, (e) => gqlObject('User', e.account), (e) => ({ permission: e.permission })),
    );
  },
};

const ref: Resolvers<RefSource> = {
  id: (s) => Buffer.from(`03:Ref${s.repo.id}:refs/heads/${s.name}`).toString('base64'),
  name: (s) => s.name,
  prefix: () => 'refs/heads/',
  branchProtectionRule: (s) =>
    s.repo.classicProtection && s.repo.classicProtection.pattern === s.name
      ? gqlObject('BranchProtectionRule', s.repo.classicProtection)
      : null,
};

const branchProtectionRule: Resolvers<GithubClassicBranchProtection> = {
  id: (p) => p.nodeId,
  databaseId: (p) => p.id,
  pattern: (p) => p.pattern,
  requiresApprovingReviews: (p) => p.requiresApprovingReviews,
  requiredApprovingReviewCount: (p) => p.requiredApprovingReviewCount,
  dismissesStaleReviews: (p) => p.dismissesStaleReviews,
  requiresCodeOwnerReviews: (p) => p.requiresCodeOwnerReviews,
  requiresStatusChecks: (p) => p.requiresStatusChecks,
  requiresStrictStatusChecks: (p) => p.requiresStrictStatusChecks,
  requiredStatusCheckContexts: (p) => p.requiredStatusCheckContexts,
  isAdminEnforced: (p) => p.isAdminEnforced,
  allowsForcePushes: (p) => p.allowsForcePushes,
  allowsDeletions: (p) => p.allowsDeletions,
  requiresLinearHistory: (p) => p.requiresLinearHistory,
  requiresConversationResolution: (p) => p.requiresConversationResolution,
  requiresCommitSignatures: () => false,
  requiresDeployments: () => false,
  requireLastPushApproval: () => false,
  restrictsPushes: () => false,
  restrictsReviewDismissals: () => false,
  lockBranch: () => false,
  blocksCreations: () => false,
};

const pullRequest: Resolvers<PullSource> = {
  id: (s) => s.pr.nodeId,
  databaseId: (s) => s.pr.id,
  number: (s) => s.pr.number,
  title: (s) => s.pr.title,
  url: (s, _a, ctx) => `${repoUrl(ctx, s.repo)}/pull/${s.pr.number}`,
  permalink: (s, _a, ctx) => `${repoUrl(ctx, s.repo)}/pull/${s.pr.number}`,
  state: () => 'MERGED',
  merged: () => true,
  closed: () => true,
  isDraft: () => false,
  createdAt: (s) => s.pr.createdAt,
  updatedAt: (s) => s.pr.updatedAt,
  closedAt: (s) => s.pr.mergedAt,
  mergedAt: (s) => s.pr.mergedAt,
  baseRefName: (s) => s.pr.baseRefName,
  headRefName: (s) => s.pr.headRefName,
  author: (s, _a, ctx) => userObject(ctx, s.pr.author),
  mergedBy: (s, _a, ctx) => userObject(ctx, s.pr.mergedBy),
  mergeCommit: (s) => gqlObject('Commit', { repo: s.repo, oid: s.pr.mergeCommitOid }),
  repository: (s) => gqlObject('Repository', s.repo),
  reviews: (s, args) => {
    const states = stringList(args.states);
    const author = typeof args.author === 'string' ? args.author.toLowerCase() : null;
    const reviews = s.pr.reviews.filter(
      (r) => (states === null || states.includes(r.state)) && (author === null || r.author.toLowerCase() === author),
    );
    return gqlObject(
      'PullRequestReviewConnection',
      connection('reviews', reviews, args, (review) => gqlObject('PullRequestReview', { ...s, review } satisfies ReviewSource)),
    );
  },
};

const pullRequestReview: Resolvers<ReviewSource> = {
  id: (s) => s.review.nodeId,
  databaseId: (s) => s.review.id,
  state: (s) => s.review.state,
  submittedAt: (s) => s.review.submittedAt,
  createdAt: (s) => s.review.submittedAt,
  publishedAt: (s) => s.review.submittedAt,
  body: () => '',
  url: (s, _a, ctx) => `${repoUrl(ctx, s.repo)}/pull/${s.pr.number}#pullrequestreview-${s.review.id}`,
  author: (s, _a, ctx) => userObject(ctx, s.review.author),
};

const user: Resolvers<GithubAccount> = {
  id: (u) => u.nodeId,
  databaseId: (u) => u.id,
  login: (u) => u.login,
  name: (u) => u.name,
  url: (u, _a, ctx) => `${ctx.urls.htmlBase}/${u.login}`,
  avatarUrl: (u, _a, ctx) => `${ctx.urls.htmlBase}/avatars/u/${u.id}?v=4`,
};

const commit: Resolvers<{ repo: GithubRepository; oid: string }> = {
  oid: (c) => c.oid,
  abbreviatedOid: (c) => c.oid.slice(0, 7),
  url: (c, _a, ctx) => `${repoUrl(ctx, c.repo)}/commit/${c.oid}`,
};

const language: Resolvers<string> = {
  name: (l) => l,
  color: (l) => LANGUAGE_COLORS[l] ?? null,
};

const rateLimit: Resolvers<RateLimitSnapshot> = {
  limit: (r) => r.limit,
  cost: () => 1,
  remaining: (r) => r.remaining,
  used: (r) => r.used,
  resetAt: (r) => r.resetAt,
  nodeCount: () => 1,
};

const pageInfo: Resolvers<ConnectionSource['pageInfo']> = {
  hasNextPage: (p) => p.hasNextPage,
  hasPreviousPage: (p) => p.hasPreviousPage,
  startCursor: (p) => p.startCursor,
  endCursor: (p) => p.endCursor,
};

function asSchemaType<S>(resolvers: Resolvers<S>): Record<string, FieldResolver<GqlContext>> {
  return resolvers as unknown as Record<string, FieldResolver<GqlContext>>;
}

/** The sandbox's GitHub GraphQL schema. */
export const githubSchema: GqlSchema<GqlContext> = {
  types: {
    Query: asSchemaType(query),
    Organization: asSchemaType(organization),
    Repository: asSchemaType(repository),
    Ref: asSchemaType(ref),
    BranchProtectionRule: asSchemaType(branchProtectionRule),
    PullRequest: asSchemaType(pullRequest),
    PullRequestReview: asSchemaType(pullRequestReview),
    User: asSchemaType(user),
    Commit: asSchemaType(commit),
    Language: asSchemaType(language),
    RateLimit: asSchemaType(rateLimit),
    PageInfo: asSchemaType(pageInfo),
    RepositoryConnection: asSchemaType(connectionResolvers('RepositoryEdge')),
    RepositoryEdge: asSchemaType(edgeResolvers()),
    OrganizationMemberConnection: asSchemaType(connectionResolvers('OrganizationMemberEdge')),
    OrganizationMemberEdge: asSchemaType(edgeResolvers(['role', 'hasTwoFactorEnabled'])),
    PullRequestConnection: asSchemaType(connectionResolvers('PullRequestEdge')),
    PullRequestEdge: asSchemaType(edgeResolvers()),
    PullRequestReviewConnection: asSchemaType(connectionResolvers('PullRequestReviewEdge')),
    PullRequestReviewEdge: asSchemaType(edgeResolvers()),
    RepositoryCollaboratorConnection: asSchemaType(connectionResolvers('RepositoryCollaboratorEdge')),
    RepositoryCollaboratorEdge: asSchemaType(edgeResolvers(['permission'])),
    BranchProtectionRuleConnection: asSchemaType(connectionResolvers('BranchProtectionRuleEdge')),
    BranchProtectionRuleEdge: asSchemaType(edgeResolvers()),
  },
  interfaces: {
    Organization: ['Node', 'Actor', 'RepositoryOwner', 'ProfileOwner'],
    User: ['Node', 'Actor', 'RepositoryOwner', 'ProfileOwner'],
    Repository: ['Node', 'RepositoryInfo'],
    PullRequest: ['Node', 'Closable', 'Comment', 'UniformResourceLocatable'],
    PullRequestReview: ['Node', 'Comment'],
    Ref: ['Node'],
    BranchProtectionRule: ['Node'],
    Commit: ['Node', 'GitObject'],
  },
};

