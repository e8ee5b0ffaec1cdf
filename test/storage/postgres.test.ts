import { afterAll, describe } from 'vitest';
import { openPostgresStore } from '../../storage/postgres-store.js';
import { evidenceStoreConformance } from './conformance.js';
import { postgresTamper } from './postgres-tamper.js';
import { testDatabase } from './postgres-helpers.js';

const database = await testDatabase('storage');
afterAll(async () => database?.drop());

if (database) {
  evidenceStoreConformance('PostgreSQL', { open: async () => openPostgresStore(await database.freshSchema()), tamper: postgresTamper });
} else {
  describe.skip('PostgreSQL store (no server)', () => {});
}
