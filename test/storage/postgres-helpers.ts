import pg from 'pg';
import { randomBytes } from 'node:crypto';

/**
 * PostgreSQL for tests: the local server (`ANNEXA_TEST_POSTGRES_URL`, default the CI server at
 * 127.0.0.1:5432, trust auth). Each test file gets a database of its own, dropped afterwards; each
 * store a schema of its own in it. Under CI=true (or ANNEXA_REQUIRE_POSTGRES=1, set by .ci/run) an
 * unreachable server fails the tests; elsewhere
 * (a machine with only Node.js) the PostgreSQL tests are skipped with one line saying so.
 */
export const postgresAdminUrl = process.env.ANNEXA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** URL of the file's database. */
  url: string;
  /** A URL whose default schema is a fresh, empty one in the file's database. */
  freshSchema(): Promise<string>;
  /** Drops the database (call in afterAll). */
  drop(): Promise<void>;
}

/** A database for one test file, or undefined (tests skip) when no server runs outside CI. */
export async function testDatabase(label: string): Promise<TestDatabase | undefined> {
  const admin = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    if (process.env.CI === 'true' || process.env.CI === '1' || process.env.ANNEXA_REQUIRE_POSTGRES === '1') {
      throw new Error(`PostgreSQL is not reachable at ${postgresAdminUrl} (CI needs it; .ci/run starts it): ${(error as Error).message}`);
    }
    console.warn(`skipping the PostgreSQL tests of ${label}: no server at ${postgresAdminUrl} (set ANNEXA_TEST_POSTGRES_URL, or start PostgreSQL)`);
    return undefined;
  }
  const name = `annexa_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(postgresAdminUrl, name);
  let schemas = 0;
  return {
    url,
    async freshSchema() {
      const schema = `s${++schemas}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.end();
      return withSearchPath(url, schema);
    },
    async drop() {
      const client = new pg.Client({ connectionString: postgresAdminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The URL with `search_path` set for every connection (libpq's `options` parameter). */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}
