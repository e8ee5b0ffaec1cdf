import { z } from 'zod';

/** An unresolved secret reference from config: `${ENV_VAR}` or `{ file: /run/secrets/x }`. */
export class SecretRef {
  constructor(
    readonly source: 'env' | 'file',
    /** The variable name or the file path. */
    readonly name: string,
  ) {}
}

const envRef = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Schema for a secret in config. A literal value is refused on purpose: secrets must not live in
 * a YAML file that gets committed, copied into tickets or baked into images.
 */
export function secretRef(description: string) {
  return z
    .union([
      z.string().regex(envRef, { message: 'expected a secret reference like ${GITHUB_TOKEN} or { file: /run/secrets/token }, not a literal value' }),
      z.strictObject({ file: z.string().min(1).describe('Path of a file holding the secret (trailing newline ignored).') }),
    ])
    .transform((value) => (typeof value === 'string' ? new SecretRef('env', envRef.exec(value)![1]!) : new SecretRef('file', value.file)))
    .describe(description);
}
