/**
 * GitHub's GraphQL API over the synthetic world, served by graphql-js: the SDL in
 * `graphql-schema.ts`, resolvers here. graphql-js parses, validates and executes; this file only
 * resolves fields, applies GitHub's connection rules (`first`/`last` required, at most 100),
 * computes GitHub's rate-limit cost and node count, and shapes errors the way GitHub sends them.
 */
import {
  GraphQLError,
  Kind,
  buildSchema,
  execute,
  parse,
  print,
  validate,
  visit,
  type DocumentNode,
  type GraphQLFieldResolver,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { GithubAccount, GithubOrganization, GithubPullRequest, GithubRepository, GithubRuleset } from './data.js';
import { decodeCursor, encodeCursor, type UrlBases, type WorldIndex } from './lookup.js';
import { githubSchemaSdl } from './graphql-schema.js';

const schema = buildSchema(githubSchemaSdl);

/** GitHub's limit on the nodes one query may ask for. */
export const MAX_NODES = 500_000;

/** Per-request context handed to every resolver. */
export interface GraphqlContext {
  index: WorldIndex;
  urls: UrlBases;
  rateLimit: { cost: number; limit: number; nodeCount: number; remaining: number; resetAt: string; used: number };
}

/** A GraphQL request body. */
export interface GraphqlRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** A parsed, validated query with GitHub's cost (points) and node count, or the errors GitHub would send. */
export type PreparedQuery = { document: DocumentNode; cost: number; nodeCount: number } | { errors: Record<string, unknown>[] };

/**
 * Parsed and validated documents by query text. A client sends a handful of query texts again and
 * again with new variables (GitHub's servers cache them too): parsing and validating each request
 * cost the sandbox as much CPU as executing it, CPU the scale-out bench shares with the workers.
 */
const documents = new Map<string, { document: DocumentNode } | { errors: Record<string, unknown>[] }>();

/** Parses and validates a query text, or says why GitHub would reject it; remembered per text. */
function parsedDocument(query: string): { document: DocumentNode } | { errors: Record<string, unknown>[] } {
  const known = documents.get(query);
  if (known) return known;
  let parsed: { document: DocumentNode } | { errors: Record<string, unknown>[] };
  try {
    const document = parse(query);
    const invalid = validate(schema, document);
    parsed = invalid.length > 0 ? { errors: invalid.map((e) => githubValidationError(e, document)) } : { document };
  } catch (error) {
    const e = error as GraphQLError;
    const at = e.locations?.[0];
    parsed = { errors: [{ message: `Parse error: ${e.message.replace(/^Syntax Error: /, '')}${at ? ` at [${at.line}, ${at.column}]` : ''}`, locations: e.locations }] };
  }
  // Bounded: a test sending many distinct texts must not grow the sandbox without end.
  if (documents.size >= 200) documents.clear();
  documents.set(query, parsed);
  return parsed;
}

/** Parses and validates a query and computes what it costs, before any point is charged. */
export function prepareQuery(request: GraphqlRequest): PreparedQuery {
  if (typeof request.query !== 'string') return { errors: [{ message: 'A query attribute must be specified and must be a string.' }] };
  const parsed = parsedDocument(request.query);
  if ('errors' in parsed) return parsed;
  const { document } = parsed;
  const variables = isRecord(request.variables) ? request.variables : {};
  const nodeCount = countNodes(document, variables);
  if (nodeCount.nodes > MAX_NODES) {
    return {
      errors: [
        {
          type: 'MAX_NODE_LIMIT_EXCEEDED',
          message: `This query requests up to ${nodeCount.nodes.toLocaleString('en-US')} possible nodes which exceeds the maximum limit of ${MAX_NODES.toLocaleString('en-US')}.`,
        },
      ],
    };
  }
  return { document, cost: Math.max(1, Math.round(nodeCount.requests / 100)), nodeCount: nodeCount.nodes };
}

/** Executes a prepared query; the body is GitHub's `{data, errors}` envelope. */
export async function executeQuery(
  prepared: { document: DocumentNode },
  request: GraphqlRequest,
  context: GraphqlContext,
): Promise<Record<string, unknown>> {
  const result = await execute({
    schema,
    document: prepared.document,
    variableValues: isRecord(request.variables) ? request.variables : {},
    operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
    contextValue: context,
    fieldResolver,
  });
  const body: Record<string, unknown> = {};
  if (result.data !== undefined) body.data = result.data;
  if (result.errors) body.errors = result.errors.map(githubExecutionError);
  return body;
}

// ---------------------------------------------------------------------------
// Resolvers: by type and field; anything not listed is read from the source object.
// ---------------------------------------------------------------------------

type Args = Record<string, unknown>;
type Resolver = (source: never, args: Args, ctx: GraphqlContext) => unknown;

const fieldResolver: GraphQLFieldResolver<unknown, GraphqlContext> = (source, args, ctx, info) => {
  const resolver = resolvers[info.parentType.name]?.[info.fieldName] as ((s: unknown, a: Args, c: GraphqlContext) => unknown) | undefined;
  return resolver ? resolver(source, args, ctx) : (source as Record<string, unknown>)[info.fieldName];
};

const user = (account: GithubAccount | undefined) => account && { __typename: 'User', login: account.login, databaseId: account.id, name: account.name };
const upper = (s: string) => s.toUpperCase();
const permissions = { pull: 'READ', triage: 'TRIAGE', push: 'WRITE', maintain: 'MAINTAIN', admin: 'ADMIN' } as const;

const resolvers: Record<string, Record<string, Resolver>> = {
  Query: {
    organization: (_: unknown, { login }, { index }) => {
      if (!index.isOrg(String(login))) throw notFound(`Could not resolve to an Organization with the login of '${String(login)}'.`);
      return index.world.org;
    },
    repository: (_: unknown, { owner, name }, { index }) => {
      const repo = index.repository(String(owner), String(name));
      if (!repo) throw notFound(`Could not resolve to a Repository with the name '${String(owner)}/${String(name)}'.`);
      return repo;
    },
    rateLimit: (_: unknown, _args, { rateLimit }) => rateLimit,
  },
  Organization: {
    requiresTwoFactorAuthentication: (org: GithubOrganization) => org.twoFactorRequirementEnabled,
    repositories: (_: unknown, args, { index }) => {
      const order = args.orderBy as { field: string; direction: string } | undefined;
      let repos = index.world.repositories.filter((r) => args.isArchived === undefined || args.isArchived === null || r.archived === args.isArchived);
      if (order && order.field !== 'NAME') repos = [...repos].sort((a, b) => a.id - b.id);
      if (order?.direction === 'DESC') repos = [...repos].reverse();
      return connection('repositories', repos, args);
    },
  },
  Repository: {
    databaseId: (r: GithubRepository) => r.id,
    nameWithOwner: (r: GithubRepository, _args, { index }) => `${index.world.org.login}/${r.name}`,
    isArchived: (r: GithubRepository) => r.archived,
    isPrivate: (r: GithubRepository) => r.visibility !== 'public',
    visibility: (r: GithubRepository) => upper(r.visibility),
    url: (r: GithubRepository, _args, { index, urls }) => `${urls.htmlBase}/${index.world.org.login}/${r.name}`,
    hasVulnerabilityAlertsEnabled: (r: GithubRepository) => r.vulnerabilityAlertsEnabled,
    defaultBranchRef: (r: GithubRepository) => ({ name: r.defaultBranch, branchProtectionRule: r.classicProtection }),
    pullRequests: (r: GithubRepository, args, { index }) => {
      const states = args.states as string[] | undefined;
      const order = args.orderBy as { field: string; direction: string } | undefined;
      const prs = index
        .pullRequestsBy(r, order?.field === 'UPDATED_AT' ? 'updatedAt' : 'createdAt')
        .filter((p) => (states === undefined || states === null || states.includes('MERGED')) && (args.baseRefName == null || p.baseRefName === args.baseRefName));
      if (order?.direction === 'DESC') prs.reverse();
      return connection('pullRequests', prs, args, (pr) => ({ node: { repo: r, pr } }));
    },
    collaborators: (r: GithubRepository, args, { index }) => {
      const outside = index.collaboratorsOf(r).map((a) => ({ node: user(a.collaborator), permission: permissions[a.permission] }));
      return connection('collaborators', args.affiliation === 'DIRECT' ? [] : outside, args, (edge) => edge);
    },
    rulesets: (r: GithubRepository, args, { index }) =>
      connection('rulesets', index.rulesetsOf(r).filter((rs) => args.includeParents !== false || rs.sourceType === 'Repository'), args),
  },
  PullRequest: {
    databaseId: ({ pr }: PullRequestSource) => pr.id,
    number: ({ pr }: PullRequestSource) => pr.number,
    title: ({ pr }: PullRequestSource) => pr.title,
    url: ({ pr, repo }: PullRequestSource, _args, { index, urls }) => `${urls.htmlBase}/${index.world.org.login}/${repo.name}/pull/${pr.number}`,
    createdAt: ({ pr }: PullRequestSource) => pr.createdAt,
    updatedAt: ({ pr }: PullRequestSource) => pr.updatedAt,
    mergedAt: ({ pr }: PullRequestSource) => pr.mergedAt,
    baseRefName: ({ pr }: PullRequestSource) => pr.baseRefName,
    author: ({ pr }: PullRequestSource, _args, { index }) => user(index.account(pr.author)),
    mergedBy: ({ pr }: PullRequestSource, _args, { index }) => user(index.account(pr.mergedBy)),
    mergeCommit: ({ pr }: PullRequestSource) => ({ oid: pr.mergeCommitOid }),
    reviews: ({ pr }: PullRequestSource, args, { index }) =>
      connection('reviews', pr.reviews.map((r) => ({ author: user(index.account(r.author)), state: r.state, submittedAt: r.submittedAt })), args),
  },
  RepositoryRuleset: {
    databaseId: (rs: GithubRuleset) => rs.id,
    enforcement: (rs: GithubRuleset) => upper(rs.enforcement),
    target: () => 'BRANCH',
    source: (rs: GithubRuleset, _args, { index }) =>
      rs.sourceType === 'Organization' ? { ...index.world.org, __typename: 'Organization' } : { ...index.repositories.get(rs.source.split('/')[1]!.toLowerCase()), __typename: 'Repository' },
    conditions: (rs: GithubRuleset) => ({ refName: rs.refName }),
    rules: (rs: GithubRuleset, args) =>
      connection('rules', rs.rules.map((rule) => ({ type: upper(rule.type), parameters: 'parameters' in rule ? ruleParameters(rule.type, rule.parameters) : null })), args),
  },
};

interface PullRequestSource {
  repo: GithubRepository;
  pr: GithubPullRequest;
}

/** REST's snake_case rule parameters as GraphQL's typed parameter objects. */
function ruleParameters(type: string, parameters: Record<string, unknown>): Record<string, unknown> {
  const camel = Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
  return { __typename: type === 'pull_request' ? 'PullRequestParameters' : 'RequiredStatusChecksParameters', ...camel };
}

// ---------------------------------------------------------------------------
// Connections, with GitHub's pagination rules and opaque cursors
// ---------------------------------------------------------------------------

/** A cursor GitHub's way: an argument that is not one of ours is an error, not a fresh start. */
function positionOf(cursor: unknown): number {
  const position = decodeCursor(String(cursor));
  if (position === null) throw new GraphQLError(`\`${String(cursor)}\` does not appear to be a valid cursor.`, { extensions: { type: 'INVALID_CURSOR_ARGUMENTS' } });
  return position;
}

function connection<T>(field: string, items: readonly T[], args: Args, edge: (item: T) => { node: unknown } & Record<string, unknown> = (node) => ({ node })) {
  const first = args.first as number | null | undefined;
  const last = args.last as number | null | undefined;
  if (first == null && last == null) {
    throw new GraphQLError(`You must provide a \`first\` or \`last\` value to properly paginate the \`${field}\` connection.`, { extensions: { type: 'MISSING_PAGINATION_BOUNDARIES' } });
  }
  for (const [name, value] of [['first', first], ['last', last]] as const) {
    if (value != null && (value < 0 || value > 100)) {
      throw new GraphQLError(`Requesting ${value} records on the \`${field}\` connection exceeds the \`${name}\` limit of 100 records.`, { extensions: { type: 'EXCESSIVE_PAGINATION' } });
    }
  }
  let start = args.after != null ? Math.min(items.length, positionOf(args.after) + 1) : 0;
  let end = args.before != null ? Math.max(start, Math.min(items.length, positionOf(args.before))) : items.length;
  if (first != null) end = Math.min(end, start + first);
  if (last != null) start = Math.max(start, end - last);
  const edges = items.slice(start, end).map((item, i) => ({ cursor: encodeCursor(start + i), ...edge(item) }));
  return {
    totalCount: items.length,
    edges,
    nodes: edges.map((e) => e.node),
    pageInfo: { hasNextPage: end < items.length, hasPreviousPage: start > 0, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

// ---------------------------------------------------------------------------
// Cost: GitHub counts, per connection, the requests needed to fill it (the product of the page
// sizes above it); points = that sum / 100, at least 1. Nodes = the sum of the page-size products.
// ---------------------------------------------------------------------------

function countNodes(document: DocumentNode, variables: Record<string, unknown>): { nodes: number; requests: number } {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])));
  const value = (node: ValueNode | undefined): number | undefined => {
    if (!node) return undefined;
    if (node.kind === Kind.INT) return Number(node.value);
    if (node.kind === Kind.VARIABLE) {
      const v = variables[node.name.value];
      return typeof v === 'number' ? v : undefined;
    }
    return undefined;
  };
  const totals = { nodes: 0, requests: 0 };
  const walk = (set: SelectionSetNode | undefined, multiplier: number): void => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) walk(fragments.get(selection.name.value), multiplier);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet, multiplier);
      else {
        const size = value(selection.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last')?.value);
        if (size === undefined) walk(selection.selectionSet, multiplier);
        else {
          totals.requests += multiplier;
          totals.nodes += multiplier * size;
          walk(selection.selectionSet, multiplier * size);
        }
      }
    }
  };
  for (const definition of document.definitions) if (definition.kind === Kind.OPERATION_DEFINITION) walk(definition.selectionSet, 1);
  return totals;
}

// ---------------------------------------------------------------------------
// Errors in GitHub's shape
// ---------------------------------------------------------------------------

function notFound(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { type: 'NOT_FOUND' } });
}

/** graphql-js validation messages reworded as GitHub words them (with GitHub's extension codes). */
function githubValidationError(error: GraphQLError, document: DocumentNode): Record<string, unknown> {
  const locations = error.locations;
  const field = /^Cannot query field "(\w+)" on type "(\w+)"\./.exec(error.message);
  if (field) {
    return { extensions: { code: 'undefinedField', typeName: field[2], fieldName: field[1] }, locations, message: `Field '${field[1]}' doesn't exist on type '${field[2]}'` };
  }
  const argument = /^Unknown argument "(\w+)" on field "\w+\.(\w+)"\./.exec(error.message);
  if (argument) {
    return {
      extensions: { code: 'argumentNotAccepted', name: argument[2], typeName: 'Field', argumentName: argument[1] },
      locations,
      message: `Field '${argument[2]}' doesn't accept argument '${argument[1]}'`,
    };
  }
  const literal = /^(\w+) cannot represent/.exec(error.message);
  const value = error.nodes?.[0];
  if (literal && value) {
    let where: { field: string; argument: string } | undefined;
    visit(document, {
      Field: (field) => {
        const argument = field.arguments?.find((a) => a.value === value);
        if (argument) where = { field: field.name.value, argument: argument.name.value };
      },
    });
    if (where) {
      return {
        extensions: { code: 'argumentLiteralsIncompatible', typeName: 'Field', argumentName: where.argument },
        locations,
        message: `Argument '${where.argument}' on Field '${where.field}' has an invalid value (${print(value)}). Expected type '${literal[1]}'.`,
      };
    }
  }
  return { locations, message: error.message };
}

/** Execution errors: GitHub puts the error `type` at the top level, next to `path` and `locations`. */
function githubExecutionError(error: GraphQLError): Record<string, unknown> {
  const missing = /^Variable "\$(\w+)" of required type "([^"]+)" was not provided\./.exec(error.message);
  if (missing) {
    return { extensions: { value: null, problems: [{ path: [], explanation: 'Expected value to not be null' }] }, locations: error.locations, message: `Variable $${missing[1]} of type ${missing[2]} was provided invalid value` };
  }
  const type = error.extensions.type;
  return { ...(typeof type === 'string' ? { type } : {}), path: error.path, locations: error.locations, message: error.message };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
