/**
 * A minimal GraphQL executor over hand-written resolvers.
 *
 * It implements the parts of the GraphQL execution algorithm that make
 * responses look like GitHub's: only selected fields are returned (with
 * aliases), fragments and `@include`/`@skip` work, selecting a field that
 * does not exist is a validation error (no `data`, like GitHub), and
 * resolver failures become `errors[]` entries with `path` while the field
 * resolves to `null`.
 */
import {
  type Directive,
  type DocumentNode,
  type FieldNode,
  type Location,
  type OperationDefinition,
  type Selection,
  type TypeRef,
  type ValueNode,
  GraphqlSyntaxError,
  parseGraphql,
} from './parser.js';

/** A value of a GraphQL object type: the type name plus the domain object backing it. */
export class GqlObject {
  constructor(
    readonly typeName: string,
    readonly source: unknown,
  ) {}
}

/** Shorthand for `new GqlObject(typeName, source)`. */
export function gqlObject(typeName: string, source: unknown): GqlObject {
  return new GqlObject(typeName, source);
}

/**
 * Thrown by resolvers for field-level failures (e.g. NOT_FOUND). The field
 * becomes `null` and the error is reported with its path.
 */
export class GqlFieldError extends Error {
  constructor(
    message: string,
    readonly type?: string,
  ) {
    super(message);
    this.name = 'GqlFieldError';
  }
}

/** Resolves one field of an object type. `source` is the {@link GqlObject.source}. */
export type FieldResolver<Ctx> = (source: never, args: Record<string, unknown>, ctx: Ctx) => unknown;

/** Object types and their fields; `interfaces` lists interfaces per type for fragment matching. */
export interface GqlSchema<Ctx> {
  types: Record<string, Record<string, FieldResolver<Ctx>>>;
  interfaces: Record<string, readonly string[]>;
}

/** One entry of a GraphQL response's `errors`. */
export interface GqlError {
  message: string;
  type?: string;
  path?: (string | number)[];
  locations?: Location[];
  extensions?: Record<string, unknown>;
}

/** A GraphQL response body. */
export interface GqlResponse {
  data?: Record<string, unknown> | null;
  errors?: GqlError[];
}

/** Request fields of a GraphQL POST body. */
export interface GqlRequest {
  query: unknown;
  variables?: unknown;
  operationName?: unknown;
}

interface ExecState<Ctx> {
  schema: GqlSchema<Ctx>;
  ctx: Ctx;
  doc: DocumentNode;
  variables: Record<string, unknown>;
  declared: Set<string>;
  opLabel: string;
  /** Static errors: if any, the response has no `data`. */
  validation: GqlError[];
  /** Field errors reported alongside `data`. */
  execution: GqlError[];
}

/**
 * Executes a GraphQL request against `schema`, starting from the `Query`
 * type backed by `root`.
 */
export function executeGraphql<Ctx>(schema: GqlSchema<Ctx>, request: GqlRequest, ctx: Ctx, root: unknown): GqlResponse {
  if (typeof request.query !== 'string' || request.query.trim() === '') {
    return { errors: [{ message: 'A query attribute must be specified and must be a string.' }] };
  }
  let doc: DocumentNode;
  try {
    doc = parseGraphql(request.query);
  } catch (err) {
    if (err instanceof GraphqlSyntaxError) return { errors: [{ message: err.message, locations: [err.loc] }] };
    throw err;
  }

  const opName = typeof request.operationName === 'string' && request.operationName !== '' ? request.operationName : null;
  let op: OperationDefinition | undefined;
  if (opName !== null) {
    op = doc.operations.find((o) => o.name === opName);
    if (!op) return { errors: [{ message: `No operation named "${opName}"` }] };
  } else if (doc.operations.length === 1) {
    op = doc.operations[0];
  } else {
    return { errors: [{ message: doc.operations.length === 0 ? 'No operations in query document' : 'An operation name is required' }] };
  }
  if (!op) return { errors: [{ message: 'No operations in query document' }] };
  if (op.operation !== 'query') {
    return {
      errors: [{ message: `The GitHub sandbox only implements queries; '${op.operation}' operations are not supported.`, locations: [op.loc] }],
    };
  }

  const provided = isRecord(request.variables) ? request.variables : {};
  const variables: Record<string, unknown> = {};
  const validation: GqlError[] = [];
  for (const def of op.variables) {
    let value = provided[def.name];
    if (value === undefined && def.defaultValue !== null) value = literal(def.defaultValue, {});
    if (def.type.kind === 'NonNull' && (value === undefined || value === null)) {
      validation.push({
        message: `Variable $${def.name} of type ${typeString(def.type)} was provided invalid value`,
        locations: [op.loc],
        extensions: { value: value ?? null, problems: [{ path: [], explanation: 'Expected value to not be null' }] },
      });
    }
    variables[def.name] = value ?? null;
  }
  if (validation.length > 0) return { errors: validation };

  const opLabel = `${op.operation}${op.name !== null ? ` ${op.name}` : ''}`;
  const state: ExecState<Ctx> = {
    schema,
    ctx,
    doc,
    variables,
    declared: new Set(op.variables.map((v) => v.name)),
    opLabel,
    validation: [],
    execution: [],
  };
  const data = executeSelections(state, gqlObject('Query', root), op.selections, [], [opLabel]);
  if (state.validation.length > 0) return { errors: state.validation };
  return state.execution.length > 0 ? { data, errors: state.execution } : { data };
}

/** Groups the selections that apply to an object by response key (aliases), flattening fragments. */
function collectFields<Ctx>(
  state: ExecState<Ctx>,
  typeName: string,
  selections: Selection[],
  out: Map<string, FieldNode[]>,
  visitedFragments: Set<string>,
): Map<string, FieldNode[]> {
  for (const sel of selections) {
    if (!shouldInclude(state, sel.directives)) continue;
    if (sel.kind === 'Field') {
      const key = sel.alias ?? sel.name;
      const list = out.get(key);
      if (list) list.push(sel);
      else out.set(key, [sel]);
    } else if (sel.kind === 'InlineFragment') {
      if (sel.typeCondition === null || typeMatches(state, typeName, sel.typeCondition)) {
        collectFields(state, typeName, sel.selections, out, visitedFragments);
      }
    } else {
      if (visitedFragments.has(sel.name)) continue;
      const fragment = state.doc.fragments.get(sel.name);
      if (!fragment) {
        state.validation.push({ message: `Fragment ${sel.name} was used, but not defined`, locations: [sel.loc] });
        continue;
      }
      visitedFragments.add(sel.name);
      if (typeMatches(state, typeName, fragment.typeCondition)) {
        collectFields(state, typeName, fragment.selections, out, visitedFragments);
      }
    }
  }
  return out;
}

function typeMatches<Ctx>(state: ExecState<Ctx>, typeName: string, condition: string): boolean {
  return condition === typeName || (state.schema.interfaces[typeName] ?? []).includes(condition);
}

function shouldInclude<Ctx>(state: ExecState<Ctx>, directives: Directive[]): boolean {
  for (const d of directives) {
    const condition = d.args.if ? resolveValue(state, d.args.if) : undefined;
    if (d.name === 'skip' && condition === true) return false;
    if (d.name === 'include' && condition === false) return false;
  }
  return true;
}

function executeSelections<Ctx>(
  state: ExecState<Ctx>,
  object: GqlObject,
  selections: Selection[],
  path: (string | number)[],
  schemaPath: string[],
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const fields = collectFields(state, object.typeName, selections, new Map(), new Set());
  for (const [key, nodes] of fields) {
    const field = nodes[0] as FieldNode;
    const fieldPath = [...path, key];
    const fieldSchemaPath = [...schemaPath, field.name];
    if (field.name === '__typename') {
      result[key] = object.typeName;
      continue;
    }
    const resolver = state.schema.types[object.typeName]?.[field.name];
    if (!resolver) {
      state.validation.push({
        path: fieldSchemaPath,
        extensions: { code: 'undefinedField', typeName: object.typeName, fieldName: field.name },
        locations: [field.loc],
        message: `Field '${field.name}' doesn't exist on type '${object.typeName}'`,
      });
      continue;
    }
    const args: Record<string, unknown> = {};
    for (const [name, node] of Object.entries(field.args)) args[name] = resolveValue(state, node);
    let value: unknown;
    try {
      value = (resolver as (s: unknown, a: Record<string, unknown>, c: Ctx) => unknown)(object.source, args, state.ctx);
    } catch (err) {
      if (!(err instanceof GqlFieldError)) throw err;
      state.execution.push({
        ...(err.type !== undefined ? { type: err.type } : {}),
        path: fieldPath,
        locations: [field.loc],
        message: err.message,
      });
      value = null;
    }
    const subSelections = nodes.flatMap((n) => n.selections ?? []);
    const hasSelections = nodes.some((n) => n.selections !== null);
    result[key] = completeValue(state, field, value, subSelections, hasSelections, fieldPath, fieldSchemaPath);
  }
  return result;
}

function completeValue<Ctx>(
  state: ExecState<Ctx>,
  field: FieldNode,
  value: unknown,
  selections: Selection[],
  hasSelections: boolean,
  path: (string | number)[],
  schemaPath: string[],
): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) {
    return value.map((item, i) => completeValue(state, field, item, selections, hasSelections, [...path, i], schemaPath));
  }
  if (value instanceof GqlObject) {
    if (!hasSelections) {
      state.validation.push({
        path: schemaPath,
        extensions: { code: 'selectionMismatch', nodeName: `field '${field.name}'`, typeName: value.typeName },
        locations: [field.loc],
        message: `Field must have selections (field '${field.name}' returns ${value.typeName} but has no selections. Did you mean '${field.name} { ... }'?)`,
      });
      return null;
    }
    return executeSelections(state, value, selections, path, schemaPath);
  }
  if (hasSelections) {
    state.validation.push({
      path: schemaPath,
      extensions: { code: 'selectionMismatch', nodeName: `field '${field.name}'` },
      locations: [field.loc],
      message: `Selections can't be made on scalars (field '${field.name}' has selections)`,
    });
    return null;
  }
  return value;
}

function resolveValue<Ctx>(state: ExecState<Ctx>, node: ValueNode): unknown {
  if (node.kind === 'Variable' && !state.declared.has(node.name)) {
    state.validation.push({
      message: `Variable $${node.name} is used by ${state.opLabel} but not declared`,
      extensions: { code: 'variableNotDefined', variableName: node.name },
    });
    return null;
  }
  return literal(node, state.variables);
}

/** Converts a value node to plain JS (enums become strings). */
function literal(node: ValueNode, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case 'Variable':
      return variables[node.name] ?? null;
    case 'Int':
    case 'Float':
    case 'String':
    case 'Boolean':
    case 'Enum':
      return node.value;
    case 'Null':
      return null;
    case 'List':
      return node.values.map((v) => literal(v, variables));
    case 'Object':
      return Object.fromEntries(node.fields.map((f) => [f.name, literal(f.value, variables)]));
  }
}

function typeString(type: TypeRef): string {
  if (type.kind === 'Named') return type.name;
  if (type.kind === 'List') return `[${typeString(type.of)}]`;
  return `${typeString(type.of)}!`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
