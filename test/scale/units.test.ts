import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { Redactor } from '../../src/core/redact.js';
import { UsageError } from '../../src/core/errors.js';
import { collectInto } from '../../src/pipeline/collect.js';
import { planCollection, planForUnit, planUnits } from '../../src/pipeline/plan.js';
import { queuedUnits } from '../../src/scale/queue.js';
import { openSqliteStore } from '../../storage/sqlite-store.js';
import type { AwsSettings } from '../../connectors/aws/settings.js';
import type { AwsSandbox } from '../../src/sandbox/aws/server.js';
import { DEV, FakeClock, NOW, PROD, awsConfig, startSmallSandbox, useSandboxCredentials } from '../aws/harness.js';

/**
 * Units of distribution: the planner splits an AWS instance with `accounts:` into one unit per
 * account (settings narrowed to it), every other instance is one unit; the collect pipeline's unit
 * filter collects one of them.
 */
const dir = mkdtempSync(join(tmpdir(), 'annexa-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const nowhere = { url: 'http://127.0.0.1:9' } as AwsSandbox;

describe('units of a plan', () => {
  it('an AWS instance with accounts is one unit per account, each with its own queue and only its account', () => {
    const units = planUnits(planCollection(awsConfig(dir, nowhere)));
    expect(units.map((u) => [u.unit, u.label])).toEqual([
      [`aws-test/${PROD}`, `aws-test account ${PROD}`],
      [`aws-test/${DEV}`, `aws-test account ${DEV}`],
    ]);
    expect(units.map((u) => (u.instance.settings as AwsSettings).accounts)).toEqual([[{ id: PROD, roleName: 'AnnexaReadOnly' }], [{ id: DEV, roleName: 'AnnexaReadOnly' }]]);
    // The rest of the instance (id, regions, endpoints) is unchanged.
    expect(units.every((u) => u.instance.id === 'aws-test' && (u.instance.settings as AwsSettings).regions.length === 2)).toBe(true);
    expect(queuedUnits(planCollection(awsConfig(dir, nowhere))).map((u) => u.queueName)).toEqual([`annexa:aws-test/${PROD}`, `annexa:aws-test/${DEV}`]);
  });

  it('the ambient account (no accounts:) stays one unit named by the instance', () => {
    const config = awsConfig(dir, nowhere, { accounts: undefined });
    expect(planUnits(planCollection(config)).map((u) => u.unit)).toEqual(['aws-test']);
    expect(planForUnit(planCollection(config), 'aws-test').instances[0]!.instance).toBe(config.connectors[0]);
  });

  it('an unknown unit is a usage error naming the known ones', () => {
    expect(() => planForUnit(planCollection(awsConfig(dir, nowhere)), 'aws-test/999999999999')).toThrow(UsageError);
    expect(() => planForUnit(planCollection(awsConfig(dir, nowhere)), 'aws-test/999999999999')).toThrow(`units: aws-test/${PROD}, aws-test/${DEV}`);
  });
});

describe('the collect pipeline with a unit filter', () => {
  useSandboxCredentials();
  let sandbox: AwsSandbox | undefined;
  afterAll(async () => sandbox?.close());

  it("collects only the unit's account", async () => {
    sandbox = await startSmallSandbox();
    const config = awsConfig(mkdtempSync(join(dir, 'collect-')), sandbox);
    const store = openSqliteStore(config.storePath);
    try {
      const writer = await store.startRun({ command: 'test', toolVersion: '0.0.0-test', startedAt: NOW });
      const redactor = new Redactor();
      const outcomes = await collectInto(writer, {
        plan: planForUnit(planCollection(config), `aws-test/${DEV}`),
        store,
        fetch: globalThis.fetch,
        clock: new FakeClock(NOW),
        logger: createLogger({ level: 'silent', redactor }),
        redactor,
      });
      await writer.finish('complete', NOW);
      expect(outcomes.filter((o) => o.status !== 'collected' || o.scopeFailures?.length)).toEqual([]);
      const users = (await store.latest('aws.iam_user.v1'))[0]!.records.map((r) => r.subject);
      expect(users.length).toBeGreaterThan(0);
      expect(users.every((s) => s.startsWith(`${DEV}/`))).toBe(true);
    } finally {
      await store.close();
    }
  });
});
