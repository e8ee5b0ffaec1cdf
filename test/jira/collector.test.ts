import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { FakeClock, NOW, useNock } from '../github/harness.js';
import { silentLogger } from '../../src/core/logger.js';
import { Secret } from '../../src/core/secret.js';
import { classifyError } from '../../src/core/errors.js';
import { createHttpFetch, defaultHttpPolicy } from '../../src/http/http-fetch.js';
import type { EvidenceRecord, PreviousCollection } from '../../src/core/connector.js';
import { JiraApi } from '../../connectors/jira/client.js';
import { jiraConnector } from '../../connectors/jira/index.js';
import { changeTicketsCollector, settingsDigest, type ChangeTicket } from '../../connectors/jira/change-tickets.js';
import { usersCollector } from '../../connectors/jira/users.js';
import type { JiraSettings } from '../../connectors/jira/settings.js';
import { changesApprovedBeforeDeployment, emergencyChangesApprovedRetrospectively } from '../../src/checks/jira.js';
import { SITE, alice, badJql, bob, carol, changelog14Page1, changelog14Page2, searchPage1, searchPage2, unauthorized } from './fixtures.js';

useNock();

const TOKEN = 'jira-test-token-not-a-secret';
const settings: JiraSettings = {
  site: SITE,
  email: 'annexa@acme.example',
  apiToken: new Secret(TOKEN, 'env:JIRA_TOKEN'),
  jql: 'project = CHG',
  approval: { status: 'Approved' },
  deployedStatuses: ['Done', 'Deployed'],
  emergency: { labels: ['emergency'], issueTypes: ['Emergency Change'] },
  lookbackDays: 90,
};
const basic = `Basic ${Buffer.from(`annexa@acme.example:${TOKEN}`).toString('base64')}`;

function jira() {
  return nock(SITE, { reqheaders: { authorization: basic, accept: 'application/json' } });
}

function harness(clock = new FakeClock()) {
  const logger = silentLogger();
  const fetch = createHttpFetch({ policy: { ...defaultHttpPolicy, backoffBaseMs: 1, maxRetries: 2 }, fetch: globalThis.fetch, clock, logger });
  const signal = new AbortController().signal;
  return { client: JiraApi.create(settings, { fetch, clock, logger, signal }), clock, logger, signal };
}

async function collect(h: ReturnType<typeof harness>, previous?: PreviousCollection) {
  const out: EvidenceRecord<ChangeTicket>[] = [];
  const ctx = { client: h.client, config: settings, instanceId: 'jira', clock: h.clock, logger: h.logger, signal: h.signal, ...(previous ? { previous: () => Promise.resolve(previous) } : {}) };
  for await (const r of changeTicketsCollector.collect(ctx)) out.push(r as EvidenceRecord<ChangeTicket>);
  return out;
}

const searchQuery = (since: string, token?: string) => ({
  jql: `(project = CHG) AND updated >= "${since}" ORDER BY updated DESC`,
  fields: 'summary,issuetype,status,created,updated,resolutiondate,reporter,assignee,labels',
  expand: 'changelog',
  maxResults: '100',
  ...(token ? { nextPageToken: token } : {}),
});

const person = (u: { accountId: string; displayName: string; emailAddress?: string }) => ({ accountId: u.accountId, displayName: u.displayName, email: u.emailAddress ?? null });
const at = NOW.toISOString();

describe('jira change tickets', () => {
  it('follows nextPageToken, reads approval and deployment from the changelog, and fetches the rest of a cut-short changelog only', async () => {
    jira().get('/rest/api/3/search/jql').query(searchQuery('-90d')).reply(200, searchPage1, { 'x-arequestid': 'r1' });
    jira().get('/rest/api/3/search/jql').query(searchQuery('-90d', 'CAEaAggD')).reply(200, searchPage2, { 'x-arequestid': 'r2' });
    jira().get('/rest/api/3/issue/CHG-14/changelog').query({ startAt: '0', maxResults: '100' }).reply(200, changelog14Page1, { 'x-arequestid': 'r3' });
    jira().get('/rest/api/3/issue/CHG-14/changelog').query({ startAt: '3', maxResults: '100' }).reply(200, changelog14Page2, { 'x-arequestid': 'r4' });

    const records = await collect(harness());

    const page1Url = `${SITE}/rest/api/3/search/jql?${new URLSearchParams(searchQuery('-90d'))}`;
    expect(records.map((r) => r.subject)).toEqual(['CHG-12', 'CHG-13', 'CHG-14']);
    expect(records[0]).toEqual({
      subject: 'CHG-12',
      requests: [{ method: 'GET', url: page1Url, status: 200, requestId: 'r1', at }],
      payload: {
        key: 'CHG-12',
        url: `${SITE}/browse/CHG-12`,
        summary: 'Change CHG-12',
        issueType: 'Change',
        status: 'Done',
        labels: [],
        created: '2026-11-02T08:00:00.000Z',
        updated: '2026-11-04T15:30:00.000Z',
        resolved: '2026-11-04T15:30:00.000Z',
        reporter: person(carol),
        assignee: person(bob),
        emergency: false,
        emergencyReason: null,
        approvals: [{ by: person(carol), at: '2026-11-03T09:00:00.000Z', via: 'status', detail: 'status: Awaiting Approval → Approved' }],
        deployedAt: '2026-11-04T15:30:00.000Z',
        deployedBy: person(bob),
        deployedStatus: 'Done',
        changelogEntries: 3,
        settings: settingsDigest(settings),
      },
    });
    expect(records[1]!.payload).toMatchObject({
      emergency: true,
      emergencyReason: 'label Emergency',
      deployedAt: '2026-11-10T23:10:00.000Z',
      approvals: [{ by: person(alice), at: '2026-11-11T09:00:00.000Z', via: 'status', detail: 'status: Done → Approved' }],
    });
    expect(records[2]!.requests.map((r) => r.requestId)).toEqual(['r2', 'r3', 'r4']);
    expect(records[2]!.payload).toMatchObject({
      changelogEntries: 5,
      approvals: [{ by: person(alice), at: '2026-11-21T10:00:00.000Z', via: 'status' }],
      deployedAt: '2026-11-21T12:00:00.000Z',
      deployedStatus: 'Deployed',
      assignee: person(alice),
    });
  });

  it('reads approval from a field or a transition when configured so', async () => {
    const { toTicket } = await import('../../connectors/jira/change-tickets.js');
    const withField = structuredClone(searchPage1.issues[0]!);
    withField.changelog.histories.splice(1, 0, {
      id: '200',
      author: alice,
      created: '2026-11-03T08:00:00.000+0000',
      items: [{ field: 'Change approver', fieldtype: 'custom', fieldId: 'customfield_10042', from: null, fromString: null, to: alice.accountId, toString: 'Alice Ng' }],
    } as never);
    const { searchIssue } = await import('../../connectors/jira/api-schemas.js');
    const parsed = searchIssue.parse(withField);
    expect(toTicket(parsed, parsed.changelog.histories, { ...settings, approval: { field: 'customfield_10042' } }).approvals).toEqual([
      { by: person(alice), at: '2026-11-03T08:00:00.000Z', via: 'field', detail: 'Change approver: (empty) → Alice Ng' },
    ]);
    expect(toTicket(parsed, parsed.changelog.histories, { ...settings, approval: { transition: { from: 'Open', to: 'Awaiting Approval' } } }).approvals.map((a) => a.at)).toEqual([
      '2026-11-02T08:05:00.000Z',
    ]);
    expect(toTicket(parsed, parsed.changelog.histories, { ...settings, approval: { transition: { from: 'Open', to: 'Approved' } } }).approvals).toEqual([]);
  });

  it('asks only for updates since the last collection and carries unchanged tickets of the period over', async () => {
    const h = harness(new FakeClock(new Date(NOW.getTime() + 2 * 3_600_000)));
    // 120 minutes since the last collection started, plus 10 minutes of overlap.
    jira().get('/rest/api/3/search/jql').query(searchQuery('-130m')).reply(200, { issues: [searchPage1.issues[0]], isLast: true });
    const old = (key: string, updated: string) => ({ subject: key, requests: [{ method: 'GET', url: `${SITE}/x`, status: 200, at }], payload: { key, updated, settings: settingsDigest(settings) } as unknown as ChangeTicket });
    const records = await collect(h, {
      startedAt: at,
      records: [old('CHG-12', '2026-11-01T00:00:00.000Z'), old('CHG-5', '2026-10-01T00:00:00.000Z'), old('CHG-1', '2026-05-01T00:00:00.000Z')],
    });
    // CHG-12 fresh from the API, CHG-5 carried over with its original provenance, CHG-1 out of the 90-day period.
    expect(records.map((r) => [r.subject, r.payload.updated, r.requests[0]!.url.startsWith(`${SITE}/rest`)])).toEqual([
      ['CHG-12', '2026-11-04T15:30:00.000Z', true],
      ['CHG-5', '2026-10-01T00:00:00.000Z', false],
    ]);
  });

  it('collects the whole period again when the settings changed since the last collection', async () => {
    const h = harness(new FakeClock(new Date(NOW.getTime() + 2 * 3_600_000)));
    jira().get('/rest/api/3/search/jql').query(searchQuery('-90d')).reply(200, { issues: [searchPage1.issues[0]], isLast: true });
    const derivedElsewhere = { subject: 'CHG-5', requests: [], payload: { key: 'CHG-5', updated: '2026-10-01T00:00:00.000Z', settings: settingsDigest({ ...settings, approval: { field: 'customfield_1' } }) } as unknown as ChangeTicket };
    const records = await collect(h, { startedAt: at, records: [derivedElsewhere] });
    expect(records.map((r) => r.subject)).toEqual(['CHG-12']);
  });

  it('waits for Retry-After on 429 and then continues', async () => {
    const h = harness();
    jira().get('/rest/api/3/search/jql').query(searchQuery('-90d')).reply(429, { errorMessages: ['Rate limit exceeded.'], errors: {} }, { 'retry-after': '7' });
    jira().get('/rest/api/3/search/jql').query(searchQuery('-90d')).reply(200, { issues: [searchPage1.issues[0]], isLast: true });
    const records = await collect(h);
    expect(records.map((r) => r.subject)).toEqual(['CHG-12']);
    expect(h.clock.sleeps).toEqual([7000]);
  });

  it('fails with auth_failed on 401, naming the endpoint and carrying Jira\'s message', async () => {
    jira().get('/rest/api/3/search/jql').query(searchQuery('-90d')).reply(401, unauthorized);
    const error = await collect(harness()).catch((e: unknown) => e);
    expect(jiraConnector.classifyError!(error)).toBeUndefined();
    expect(classifyError(error)).toEqual({
      code: 'auth_failed',
      message: `HTTP 401: GET ${SITE}/rest/api/3/search/jql?${new URLSearchParams(searchQuery('-90d'))}: Client must be authenticated to access this resource.`,
    });
  });

  it('reports a JQL Jira rejects (HTTP 400) as a config error', async () => {
    jira().get('/rest/api/3/search/jql').query(searchQuery('-90d')).reply(400, badJql);
    const error = await collect(harness()).catch((e: unknown) => e);
    expect(jiraConnector.classifyError!(error)).toMatchObject({ code: 'config' });
    expect(jiraConnector.classifyError!(error)!.message).toContain("The value 'CHANGE' does not exist for the field 'project'.");
  });

  it('rejects a malformed search response at the boundary, naming the endpoint', async () => {
    jira().get('/rest/api/3/search/jql').query(searchQuery('-90d')).reply(200, { issues: [{ key: 'CHG-1' }] });
    const error = await collect(harness()).catch((e: unknown) => e);
    expect(classifyError(error).code).toBe('invalid_payload');
    expect(classifyError(error).message).toContain('/rest/api/3/search/jql');
  });

  it('lists users page by page until an empty page', async () => {
    const h = harness();
    jira().get('/rest/api/3/users/search').query({ startAt: '0', maxResults: '1000' }).reply(200, [alice, bob]);
    jira().get('/rest/api/3/users/search').query({ startAt: '2', maxResults: '1000' }).reply(200, [{ ...carol, active: false }]);
    jira().get('/rest/api/3/users/search').query({ startAt: '3', maxResults: '1000' }).reply(200, []);
    const out = [];
    for await (const r of usersCollector.collect({ client: h.client, config: settings, instanceId: 'jira', clock: h.clock, logger: h.logger, signal: h.signal })) out.push(r.payload);
    expect(out).toEqual([
      { accountId: alice.accountId, accountType: 'atlassian', displayName: 'Alice Ng', email: 'alice@acme.example', active: true },
      { accountId: bob.accountId, accountType: 'atlassian', displayName: 'Bob Ruiz', email: null, active: true },
      { accountId: carol.accountId, accountType: 'atlassian', displayName: 'Carol Diaz', email: 'carol@acme.example', active: false },
    ]);
  });
});

describe('jira checks over collected tickets', () => {
  it('passes the independently approved change, fails the self-approved one, passes the emergency change approved the next morning', async () => {
    jira().get('/rest/api/3/search/jql').query(searchQuery('-90d')).reply(200, searchPage1);
    jira().get('/rest/api/3/search/jql').query(searchQuery('-90d', 'CAEaAggD')).reply(200, searchPage2);
    jira().get('/rest/api/3/issue/CHG-14/changelog').query({ startAt: '0', maxResults: '100' }).reply(200, changelog14Page1);
    jira().get('/rest/api/3/issue/CHG-14/changelog').query({ startAt: '3', maxResults: '100' }).reply(200, changelog14Page2);
    const records = await collect(harness());
    const evidence = { 'jira.change_ticket.v1': { kind: 'jira.change_ticket.v1', instanceId: 'jira', collectedAt: at, records: records.map((r) => ({ ...r, digest: 'x' })) } };
    expect(changesApprovedBeforeDeployment.evaluate({ evidence, instanceId: 'jira', asOf: NOW, params: { periodDays: 90 } })).toEqual([
      { subject: 'CHG-12', status: 'pass', message: 'approved by carol@acme.example at 2026-11-03T09:00:00.000Z, deployed 2026-11-04T15:30:00.000Z' },
      { subject: 'CHG-14', status: 'fail', message: 'approved only by its own assignee alice@acme.example (segregation of duties); deployed 2026-11-21T12:00:00.000Z' },
    ]);
    expect(emergencyChangesApprovedRetrospectively.evaluate({ evidence, instanceId: 'jira', asOf: NOW, params: { periodDays: 90, withinDays: 2 } })).toEqual([
      { subject: 'CHG-13', status: 'pass', message: 'emergency change approved retrospectively by alice@acme.example at 2026-11-11T09:00:00.000Z (deployed 2026-11-10T23:10:00.000Z)' },
    ]);
    // With a 0.25-day window the same approval is late.
    expect(emergencyChangesApprovedRetrospectively.evaluate({ evidence, instanceId: 'jira', asOf: NOW, params: { periodDays: 90, withinDays: 0.25 } })[0]).toEqual({
      subject: 'CHG-13',
      status: 'fail',
      message: 'emergency change approved 0.4 days after deployment (limit 0.25)',
    });
  });
});
