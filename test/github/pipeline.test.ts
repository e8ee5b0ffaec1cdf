import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runCollection, type CollectResult } from '../../src/pipeline/collect.js';
import { planCollection } from '../../src/pipeline/plan.js';
import { createLogger } from '../../src/core/logger.js';
import { FakeClock, TOKEN, fixture, ghHeaders, github, graphqlBody, setupPipeline, storeFiles, useNock, type PipelineSetup } from './harness.js';
import {
  mockOrg,
  mockOutsideCollaborators,
  mockPullRequests,
  mockRepositories,
  mockRoleListings,
  mockRules,
  mockTwoFactor,
  urls,
} from './mocks.js';
import {
  branchProtectionRecords,
  memberRecords,
  mergedPullRequestRecords,
  orgSettingsRecords,
  outsideCollaboratorRecords,
  repositorySettingsRecords,
} from './expected.js';
import { outsideCollaboratorAccessQuery } from '../../connectors/github/api-schemas.js';

useNock();

let setup: PipelineSetup | undefined;
afterEach(async () => {
  await setup?.cleanup();
  setup = undefined;
});

/** Runs the real pipeline over the given `--only` selectors, logging (redacted) into `logs`. */
async function collect(only: string[], clock = new FakeClock()): Promise<{ result: CollectResult; logs: string[]; clock: FakeClock; setup: PipelineSetup }> {
  setup = setupPipeline();
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', redactor: setup.redactor, destination });
  const result = await runCollection({
    plan: planCollection(setup.config, only),
    store: setup.store,
    fetch: globalThis.fetch,
    clock,
    logger,
    redactor: setup.redactor,
    command: `collect --only ${only.join(',')}`,
  });
  return { result, logs, clock, setup };
}

/** Outcomes without the timing, for exact comparison. */
function outcomes(result: CollectResult) {
  return result.outcomes.map(({ durationMs: _, ...rest }) => rest);
}

function outcome(collectorId: string, kind: string, recordCount: number, failure?: { errorCode: string; errorMessage: string }) {
  return {
    instanceId: 'github-acme',
    connectorType: 'github',
    collectorId,
    kind,
    status: failure ? 'failed' : 'collected',
    recordCount,
    ...failure,
  };
}

/** Neither the store files (db, WAL, shm, lock) nor the logs nor the outcomes hold the token. */
function expectNoToken(s: PipelineSetup, result: CollectResult, logs: string[]): void {
  const files = storeFiles(s.dir);
  expect([...files.keys()]).toContain('evidence.db');
  for (const [name, bytes] of files) {
    expect(bytes.includes(TOKEN), `token bytes in ${name}`).toBe(false);
    expect(bytes.includes(TOKEN.slice(4)), `token body in ${name}`).toBe(false);
  }
  expect(JSON.stringify(result)).not.toContain(TOKEN.slice(4));
  expect(logs.join('')).not.toContain(TOKEN.slice(4));
}

describe('failures become stable codes through the real pipeline', () => {
  it('401 → auth_failed, with the token echoed by the API masked everywhere', async () => {
    github()
      .get('/orgs/acme')
      .reply(
        401,
        { message: `Bad credentials: token ${TOKEN} has expired or was revoked`, documentation_url: 'https://docs.github.com/rest', status: '401' },
        ghHeaders('AUTH:401'),
      );
    const { result, logs, setup: s } = await collect(['github-acme:org_settings']);
    const errorMessage = 'HTTP 401: GET https://api.github.test/orgs/acme: Bad credentials: token [REDACTED] has expired or was revoked - https://docs.github.com/rest';
    expect(result.status).toBe('failed');
    expect(outcomes(result)).toEqual([outcome('org_settings', 'github.org_settings.v1', 0, { errorCode: 'auth_failed', errorMessage })]);
    const stored = await s.store.run(result.run.id);
    expect(stored?.outcomes).toMatchObject([{ collectorId: 'org_settings', status: 'failed', errorCode: 'auth_failed', errorMessage }]);
    expect(logs.join('')).toContain('[REDACTED]');
    // While open (db + WAL) and after close (checkpointed into the db).
    expectNoToken(s, result, logs);
    await s.close();
    expectNoToken(s, result, logs);
  });

  it('GraphQL {"errors":[{"type":"FORBIDDEN"}]} → permission_denied', async () => {
    github()
      .get('/orgs/acme/outside_collaborators')
      .query({ per_page: '100' })
      .reply(200, fixture('outside-collaborators.json'), ghHeaders('OUT:REST'))
      .get('/orgs/acme/outside_collaborators')
      .query({ per_page: '100', filter: '2fa_disabled' })
      .reply(200, [], ghHeaders('OUT:2FA'))
      .post('/graphql', graphqlBody(outsideCollaboratorAccessQuery, { org: 'acme', cursor: null }))
      .reply(200, fixture('graphql-outside-access-forbidden.json'), ghHeaders('OUT:FORBIDDEN'));
    const { result } = await collect(['github-acme:outside_collaborators']);
    expect(outcomes(result)).toEqual([
      outcome('outside_collaborators', 'github.outside_collaborator.v1', 0, {
        errorCode: 'permission_denied',
        errorMessage: 'GraphQL AnnexaOutsideCollaboratorAccess: FORBIDDEN: Resource not accessible by personal access token',
      }),
    ]);
  });

  it('a malformed item (login: 42) → invalid_payload naming the endpoint; records before it are kept', async () => {
    mockTwoFactor('visible');
    const page2 = fixture<Record<string, unknown>[]>('members-page2.json');
    page2[1]!.login = 42;
    // Numbered pages go out together, so page 3 is asked for too; the listing still ends at
    // page 2, in order: no record of page 3 is kept (4 = the records before the bad item's page).
    mockRoleListings({ page2Body: page2 });
    const { result, setup: s } = await collect(['github-acme:members']);
    expect(outcomes(result)).toEqual([
      outcome('members', 'github.member.v1', 4, {
        errorCode: 'invalid_payload',
        errorMessage: `GET ${urls.membersPage(2)} returned an unexpected payload: 1.login: Invalid input: expected string, received number`,
      }),
    ]);
    const [snapshot] = await s.store.latest('github.member.v1');
    expect(snapshot?.latestOutcome).toMatchObject({ status: 'failed', errorCode: 'invalid_payload', recordCount: 4 });
  });

  it('429 with Retry-After, then 200 → collected after waiting as asked', async () => {
    github()
      .get('/orgs/acme')
      .reply(429, { message: 'You have exceeded a secondary rate limit.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' }, ghHeaders('RL:429', { 'retry-after': '2' }));
    mockOrg();
    const { result, clock, setup: s } = await collect(['github-acme:org_settings'], new FakeClock(undefined, true));
    expect(outcomes(result)).toEqual([outcome('org_settings', 'github.org_settings.v1', 1)]);
    expect(clock.sleeps).toEqual([2000]);
    const [snapshot] = await s.store.latest('github.org_settings.v1');
    expect(snapshot?.records.map((r) => r.payload)).toEqual(orgSettingsRecords.map((r) => r.payload));
    // The provenance is the successful response, two seconds later.
    expect(await s.store.requestsOf(snapshot!.records[0]!)).toEqual([{ ...orgSettingsRecords[0]!.requests[0], at: '2026-11-25T12:00:02.000Z' }]);
  });

  it('500, then 200 → collected after one retry', async () => {
    github().get('/orgs/acme').reply(500, { message: 'Server Error' }, ghHeaders('ERR:500'));
    mockOrg();
    const { result, clock } = await collect(['github-acme:org_settings']);
    expect(outcomes(result)).toEqual([outcome('org_settings', 'github.org_settings.v1', 1)]);
    expect(clock.sleeps).toHaveLength(1);
  });
});

describe('a full run', () => {
  it('keeps collecting when one collector fails: the run is partial, the others collected with exact records', async () => {
    mockOrg();
    mockTwoFactor('visible');
    mockRoleListings();
    mockOutsideCollaborators();
    // The repository listing is fetched once and shared by branch protection and merged pull requests.
    mockRepositories();
    mockRules();
    mockPullRequests();
    github()
      .get('/orgs/acme/dependabot/alerts')
      .query({ per_page: '100', state: 'open' })
      .reply(403, { message: 'Resource not accessible by personal access token', documentation_url: 'https://docs.github.com/rest/dependabot/alerts', status: '403' }, ghHeaders('DEP:403'));

    const { result, logs, setup: s } = await collect(['github-acme']);
    expect(result.status).toBe('partial');
    expect(result.run.status).toBe('partial');
    expect(outcomes(result)).toEqual([
      outcome('org_settings', 'github.org_settings.v1', 1),
      outcome('members', 'github.member.v1', 7),
      outcome('outside_collaborators', 'github.outside_collaborator.v1', 4),
      outcome('branch_protection', 'github.branch_protection.v1', 5),
      outcome('merged_pull_requests', 'github.merged_pull_request.v1', 4),
      outcome('dependabot_alerts', 'github.dependabot_alert.v1', 0, {
        errorCode: 'permission_denied',
        errorMessage: 'HTTP 403: GET https://api.github.test/orgs/acme/dependabot/alerts?per_page=100&state=open: Resource not accessible by personal access token - https://docs.github.com/rest/dependabot/alerts',
      }),
      outcome('repository_settings', 'github.repository_settings.v1', 5),
    ]);

    // What the store holds is exactly what the collectors produced: payloads and provenance.
    const expected: [string, typeof memberRecords][] = [
      ['github.org_settings.v1', orgSettingsRecords],
      ['github.member.v1', memberRecords],
      ['github.outside_collaborator.v1', outsideCollaboratorRecords],
      ['github.branch_protection.v1', branchProtectionRecords],
      ['github.merged_pull_request.v1', mergedPullRequestRecords],
      ['github.repository_settings.v1', repositorySettingsRecords],
    ];
    for (const [kind, records] of expected) {
      const [snapshot] = await s.store.latest(kind);
      const stored = await Promise.all(
        (snapshot?.records ?? []).map(async (r) => ({
          subject: r.subject,
          payload: r.payload,
          // Provenance is kept once per collection; each record resolves to the requests it came from.
          provenance: { ...((await s.store.blob(r.provenanceDigest)) as { tool: string; connectorType: string }), requests: await s.store.requestsOf(r) },
        })),
      );
      const byExpectedOrder = records.map((want) => stored.find((r) => r.subject === want.subject));
      expect(byExpectedOrder, kind).toEqual(
        records.map((r) => ({
          subject: r.subject,
          payload: r.payload,
          provenance: expect.objectContaining({ tool: expect.stringMatching(/^annexa\//), connectorType: 'github', requests: r.requests }),
        })),
      );
      expect(stored, kind).toHaveLength(records.length);
    }
    const [dependabot] = await s.store.latest('github.dependabot_alert.v1');
    expect(dependabot?.latestOutcome).toMatchObject({ status: 'failed', errorCode: 'permission_denied' });
    expect(dependabot?.records).toEqual([]);
    expect((await s.store.verify()).ok).toBe(true);
    expectNoToken(s, result, logs);
  });
});
