import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * The PostgreSQL twin of `hashRows` in `sqlite-schema.ts`: a sha256 over the JSON of each row (as
 * an array, in query order) and the row count. Both backends must give the same hash for the same
 * rows, so a store copied between them verifies against the seals it carries.
 */
export async function hashRows(on: Pick<pg.ClientBase, 'query'>, sql: string, params: unknown[]): Promise<{ count: number; hash: string }> {
  const result = await on.query({ text: sql, values: params, rowMode: 'array' });
  const hash = createHash('sha256');
  for (const row of result.rows as unknown[][]) hash.update(JSON.stringify(row) + '\n');
  return { count: result.rows.length, hash: hash.digest('hex') };
}
