/**
 * A small GraphQL query-document parser: enough of the spec for the queries a
 * connector sends (operations, variables with defaults, fields with aliases
 * and arguments, fragments, inline fragments, `@include`/`@skip`).
 *
 * Why not resolve queries by regex? Because a real executor only returns the
 * fields that were asked for and rejects unknown ones. Parsing lets the
 * sandbox behave the same way, so a connector that forgets to select a field
 * fails here just as it would against api.github.com.
 */

/** Source position (1-based), as GraphQL error `locations` report it. */
export interface Location {
  line: number;
  column: number;
}

/** A literal or variable in argument position. */
export type ValueNode =
  | { kind: 'Variable'; name: string }
  | { kind: 'Int' | 'Float'; value: number }
  | { kind: 'String'; value: string }
  | { kind: 'Boolean'; value: boolean }
  | { kind: 'Null' }
  | { kind: 'Enum'; value: string }
  | { kind: 'List'; values: ValueNode[] }
  | { kind: 'Object'; fields: { name: string; value: ValueNode }[] };

export interface Directive {
  name: string;
  args: Record<string, ValueNode>;
}

export interface FieldNode {
  kind: 'Field';
  alias: string | null;
  name: string;
  args: Record<string, ValueNode>;
  directives: Directive[];
  selections: Selection[] | null;
  loc: Location;
}

export interface FragmentSpreadNode {
  kind: 'FragmentSpread';
  name: string;
  directives: Directive[];
  loc: Location;
}

export interface InlineFragmentNode {
  kind: 'InlineFragment';
  typeCondition: string | null;
  directives: Directive[];
  selections: Selection[];
  loc: Location;
}

export type Selection = FieldNode | FragmentSpreadNode | InlineFragmentNode;

/** A variable's declared type, e.g. `String!` or `[ID!]`. */
export type TypeRef = { kind: 'Named'; name: string } | { kind: 'List'; of: TypeRef } | { kind: 'NonNull'; of: TypeRef };

export interface VariableDefinition {
  name: string;
  type: TypeRef;
  defaultValue: ValueNode | null;
}

export interface OperationDefinition {
  kind: 'Operation';
  operation: 'query' | 'mutation' | 'subscription';
  name: string | null;
  variables: VariableDefinition[];
  directives: Directive[];
  selections: Selection[];
  loc: Location;
}

export interface FragmentDefinition {
  kind: 'Fragment';
  name: string;
  typeCondition: string;
  selections: Selection[];
}

export interface DocumentNode {
  operations: OperationDefinition[];
  fragments: Map<string, FragmentDefinition>;
}

/** Thrown for malformed documents; `message` follows GitHub's parse-error wording. */
export class GraphqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly loc: Location,
  ) {
    super(message);
    this.name = 'GraphqlSyntaxError';
  }
}

type TokenKind = 'Punct' | 'Name' | 'Int' | 'Float' | 'String' | 'EOF';

interface Token {
  kind: TokenKind;
  value: string;
  loc: Location;
}

const PUNCTUATORS = new Set(['!', '$', '(', ')', ':', '=', '@', '[', ']', '{', '}', '|', '&']);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const loc = (at: number): Location => ({ line, column: at - lineStart + 1 });

  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    // Whitespace, commas (insignificant in GraphQL) and BOM.
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === ',' || ch === '\ufeff') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (ch === '.' && source.startsWith('...', i)) {
      tokens.push({ kind: 'Punct', value: '...', loc: loc(i) });
      i += 3;
      continue;
    }
    if (PUNCTUATORS.has(ch)) {
      tokens.push({ kind: 'Punct', value: ch, loc: loc(i) });
      i++;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const start = i;
      while (i < source.length && /[A-Za-z0-9_]/.test(source[i] as string)) i++;
      tokens.push({ kind: 'Name', value: source.slice(start, i), loc: loc(start) });
      continue;
    }
    if (/[-0-9]/.test(ch)) {
      const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
      if (!match) throw new GraphqlSyntaxError(`Parse error on "${ch}"`, loc(i));
      const isFloat = match[2] !== undefined || match[3] !== undefined;
      tokens.push({ kind: isFloat ? 'Float' : 'Int', value: match[0], loc: loc(i) });
      i += match[0].length;
      continue;
    }
    if (ch === '"') {
      const start = i;
      if (source.startsWith('"""', i)) {
        const end = source.indexOf('"""', i + 3);
        if (end < 0) throw new GraphqlSyntaxError('Unterminated block string', loc(start));
        const raw = source.slice(i + 3, end);
        tokens.push({ kind: 'String', value: raw.trim(), loc: loc(start) });
        for (let k = i; k < end; k++) {
          if (source[k] === '\n') {
            line++;
            lineStart = k + 1;
          }
        }
        i = end + 3;
        continue;
      }
      i++;
      let value = '';
      while (i < source.length && source[i] !== '"') {
        if (source[i] === '\n') throw new GraphqlSyntaxError('Unterminated string', loc(start));
        if (source[i] === '\\') {
          const esc = source[i + 1];
          const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
          if (esc === 'u') {
            value += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
            i += 6;
            continue;
          }
          value += (esc !== undefined ? simple[esc] : undefined) ?? '';
          i += 2;
          continue;
        }
        value += source[i];
        i++;
      }
      if (i >= source.length) throw new GraphqlSyntaxError('Unterminated string', loc(start));
      i++;
      tokens.push({ kind: 'String', value, loc: loc(start) });
      continue;
    }
    throw new GraphqlSyntaxError(`Parse error on "${ch}"`, loc(i));
  }
  tokens.push({ kind: 'EOF', value: '', loc: loc(i) });
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'EOF') this.pos++;
    return token;
  }

  private isPunct(value: string): boolean {
    const t = this.peek();
    return t.kind === 'Punct' && t.value === value;
  }

  private expectPunct(value: string): Token {
    const t = this.next();
    if (t.kind !== 'Punct' || t.value !== value) this.fail(t, `expected "${value}"`);
    return t;
  }

  private expectName(): Token {
    const t = this.next();
    if (t.kind !== 'Name') this.fail(t, 'expected a name');
    return t;
  }

  private fail(token: Token, why: string): never {
    const shown = token.kind === 'EOF' ? 'end of file' : `"${token.value}"`;
    throw new GraphqlSyntaxError(`Parse error on ${shown} (${why}) at [${token.loc.line}, ${token.loc.column}]`, token.loc);
  }

  parseDocument(): DocumentNode {
    const doc: DocumentNode = { operations: [], fragments: new Map() };
    while (this.peek().kind !== 'EOF') {
      const t = this.peek();
      if (t.kind === 'Punct' && t.value === '{') {
        doc.operations.push({
          kind: 'Operation',
          operation: 'query',
          name: null,
          variables: [],
          directives: [],
          selections: this.parseSelectionSet(),
          loc: t.loc,
        });
      } else if (t.kind === 'Name' && (t.value === 'query' || t.value === 'mutation' || t.value === 'subscription')) {
        doc.operations.push(this.parseOperation());
      } else if (t.kind === 'Name' && t.value === 'fragment') {
        const fragment = this.parseFragment();
        doc.fragments.set(fragment.name, fragment);
      } else {
        this.fail(t, 'expected an operation or fragment');
      }
    }
    return doc;
  }

  private parseOperation(): OperationDefinition {
    const opToken = this.next();
    const name = this.peek().kind === 'Name' ? this.next().value : null;
    const variables: VariableDefinition[] = [];
    if (this.isPunct('(')) {
      this.next();
      while (!this.isPunct(')')) {
        this.expectPunct('$');
        const varName = this.expectName().value;
        this.expectPunct(':');
        const type = this.parseType();
        let defaultValue: ValueNode | null = null;
        if (this.isPunct('=')) {
          this.next();
          defaultValue = this.parseValue(true);
        }
        this.parseDirectives();
        variables.push({ name: varName, type, defaultValue });
      }
      this.next();
    }
    const directives = this.parseDirectives();
    return {
      kind: 'Operation',
      operation: opToken.value as OperationDefinition['operation'],
      name,
      variables,
      directives,
      selections: this.parseSelectionSet(),
      loc: opToken.loc,
    };
  }

  private parseFragment(): FragmentDefinition {
    this.next(); // `fragment`
    const name = this.expectName().value;
    const on = this.expectName();
    if (on.value !== 'on') this.fail(on, 'expected "on"');
    const typeCondition = this.expectName().value;
    this.parseDirectives();
    return { kind: 'Fragment', name, typeCondition, selections: this.parseSelectionSet() };
  }

  private parseType(): TypeRef {
    let type: TypeRef;
    if (this.isPunct('[')) {
      this.next();
      const of = this.parseType();
      this.expectPunct(']');
      type = { kind: 'List', of };
    } else {
      type = { kind: 'Named', name: this.expectName().value };
    }
    if (this.isPunct('!')) {
      this.next();
      type = { kind: 'NonNull', of: type };
    }
    return type;
  }

  private parseSelectionSet(): Selection[] {
    this.expectPunct('{');
    const selections: Selection[] = [];
    while (!this.isPunct('}')) {
      if (this.peek().kind === 'EOF') this.fail(this.peek(), 'expected "}"');
      selections.push(this.parseSelection());
    }
    this.next();
    return selections;
  }

  private parseSelection(): Selection {
    if (this.isPunct('...')) {
      const spread = this.next();
      const t = this.peek();
      if (t.kind === 'Name' && t.value !== 'on') {
        this.next();
        return { kind: 'FragmentSpread', name: t.value, directives: this.parseDirectives(), loc: spread.loc };
      }
      let typeCondition: string | null = null;
      if (t.kind === 'Name' && t.value === 'on') {
        this.next();
        typeCondition = this.expectName().value;
      }
      const directives = this.parseDirectives();
      return { kind: 'InlineFragment', typeCondition, directives, selections: this.parseSelectionSet(), loc: spread.loc };
    }
    const first = this.expectName();
    let alias: string | null = null;
    let name = first.value;
    if (this.isPunct(':')) {
      this.next();
      alias = first.value;
      name = this.expectName().value;
    }
    const args = this.isPunct('(') ? this.parseArguments(false) : {};
    const directives = this.parseDirectives();
    const selections = this.isPunct('{') ? this.parseSelectionSet() : null;
    return { kind: 'Field', alias, name, args, directives, selections, loc: first.loc };
  }

  private parseArguments(constant: boolean): Record<string, ValueNode> {
    this.expectPunct('(');
    const args: Record<string, ValueNode> = {};
    while (!this.isPunct(')')) {
      const name = this.expectName().value;
      this.expectPunct(':');
      args[name] = this.parseValue(constant);
    }
    this.next();
    return args;
  }

  private parseDirectives(): Directive[] {
    const directives: Directive[] = [];
    while (this.isPunct('@')) {
      this.next();
      const name = this.expectName().value;
      directives.push({ name, args: this.isPunct('(') ? this.parseArguments(false) : {} });
    }
    return directives;
  }

  private parseValue(constant: boolean): ValueNode {
    const t = this.next();
    switch (t.kind) {
      case 'Int':
        return { kind: 'Int', value: Number(t.value) };
      case 'Float':
        return { kind: 'Float', value: Number(t.value) };
      case 'String':
        return { kind: 'String', value: t.value };
      case 'Name':
        if (t.value === 'true' || t.value === 'false') return { kind: 'Boolean', value: t.value === 'true' };
        if (t.value === 'null') return { kind: 'Null' };
        return { kind: 'Enum', value: t.value };
      case 'Punct':
        if (t.value === '$' && !constant) return { kind: 'Variable', name: this.expectName().value };
        if (t.value === '[') {
          const values: ValueNode[] = [];
          while (!this.isPunct(']')) values.push(this.parseValue(constant));
          this.next();
          return { kind: 'List', values };
        }
        if (t.value === '{') {
          const fields: { name: string; value: ValueNode }[] = [];
          while (!this.isPunct('}')) {
            const name = this.expectName().value;
            this.expectPunct(':');
            fields.push({ name, value: this.parseValue(constant) });
          }
          this.next();
          return { kind: 'Object', fields };
        }
        return this.fail(t, 'expected a value');
      default:
        return this.fail(t, 'expected a value');
    }
  }
}

/**
 * Parses a GraphQL document.
 * @throws {@link GraphqlSyntaxError} on malformed input.
 */
export function parseGraphql(source: string): DocumentNode {
  return new Parser(tokenize(source)).parseDocument();
}
