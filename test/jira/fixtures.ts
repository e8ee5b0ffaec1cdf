/**
 * Jira Cloud response bodies in the wire format of `/rest/api/3/search/jql`,
 * `/rest/api/3/issue/{key}/changelog` and `/rest/api/3/users/search` (trimmed to the fields the
 * connector asks for, plus the envelope fields Jira always sends).
 */
export const SITE = 'https://acme.atlassian.test';

export const alice = { self: `${SITE}/rest/api/3/user?accountId=5b10a2844c20165700ede21g`, accountId: '5b10a2844c20165700ede21g', emailAddress: 'alice@acme.example', displayName: 'Alice Ng', active: true, timeZone: 'Europe/Berlin', accountType: 'atlassian' };
export const bob = { self: `${SITE}/rest/api/3/user?accountId=5b10ac8d82e05b22cc7d4ef5`, accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Bob Ruiz', active: true, timeZone: 'Etc/UTC', accountType: 'atlassian' };
export const carol = { self: `${SITE}/rest/api/3/user?accountId=712020:2c1a4f0e-1f0b-4a8e-9d3c-6f7a3b2e9d11`, accountId: '712020:2c1a4f0e-1f0b-4a8e-9d3c-6f7a3b2e9d11', emailAddress: 'carol@acme.example', displayName: 'Carol Diaz', active: true, timeZone: 'Etc/UTC', accountType: 'atlassian' };

type User = typeof alice | typeof bob | typeof carol;

export function statusChange(id: string, author: User, created: string, from: string, to: string) {
  return { id, author, created, items: [{ field: 'status', fieldtype: 'jira', fieldId: 'status', from: '1', fromString: from, to: '2', toString: to }] };
}

export function issue(key: string, opts: { assignee: User; reporter?: User; status: string; labels?: string[]; type?: string; created: string; updated: string; resolved?: string | null; histories: unknown[]; total?: number }) {
  return {
    expand: 'operations,versionedRepresentations,editmeta,changelog,renderedFields',
    id: String(10_000 + Number(key.split('-')[1])),
    self: `${SITE}/rest/api/3/issue/${10_000 + Number(key.split('-')[1])}`,
    key,
    changelog: { startAt: 0, maxResults: opts.histories.length, total: opts.total ?? opts.histories.length, histories: opts.histories },
    fields: {
      summary: `Change ${key}`,
      issuetype: { self: `${SITE}/rest/api/3/issuetype/10100`, id: '10100', name: opts.type ?? 'Change', subtask: false },
      status: { self: `${SITE}/rest/api/3/status/10003`, name: opts.status, statusCategory: { key: 'done' } },
      created: opts.created,
      updated: opts.updated,
      resolutiondate: opts.resolved ?? null,
      reporter: opts.reporter ?? carol,
      assignee: opts.assignee,
      labels: opts.labels ?? [],
    },
  };
}

/** Page 1: a change approved by Carol before Bob deployed it; an emergency change approved the next day. */
export const searchPage1 = {
  issues: [
    issue('CHG-12', {
      assignee: bob,
      status: 'Done',
      created: '2026-11-02T09:00:00.000+0100',
      updated: '2026-11-04T16:30:00.000+0100',
      resolved: '2026-11-04T16:30:00.000+0100',
      histories: [
        statusChange('100', carol, '2026-11-02T09:05:00.000+0100', 'Open', 'Awaiting Approval'),
        statusChange('101', carol, '2026-11-03T10:00:00.000+0100', 'Awaiting Approval', 'Approved'),
        statusChange('102', bob, '2026-11-04T16:30:00.000+0100', 'Approved', 'Done'),
      ],
    }),
    issue('CHG-13', {
      assignee: bob,
      status: 'Done',
      labels: ['Emergency', 'db'],
      created: '2026-11-10T22:00:00.000+0000',
      updated: '2026-11-11T09:00:00.000+0000',
      resolved: '2026-11-10T23:10:00.000+0000',
      histories: [
        statusChange('110', bob, '2026-11-10T23:10:00.000+0000', 'Open', 'Done'),
        {
          id: '111',
          author: alice,
          created: '2026-11-11T09:00:00.000+0000',
          items: [{ field: 'status', fieldtype: 'jira', fieldId: 'status', from: '10003', fromString: 'Done', to: '10002', toString: 'Approved' }],
        },
      ],
    }),
  ],
  nextPageToken: 'CAEaAggD',
  isLast: false,
};

/** Page 2: approved by its own assignee; the embedded changelog is cut short (3 of 5). */
export const searchPage2 = {
  issues: [
    issue('CHG-14', {
      assignee: alice,
      status: 'Deployed',
      created: '2026-11-20T08:00:00.000+0000',
      updated: '2026-11-21T12:00:00.000+0000',
      resolved: '2026-11-21T12:00:00.000+0000',
      total: 5,
      histories: [
        statusChange('140', carol, '2026-11-20T08:10:00.000+0000', 'Open', 'Awaiting Approval'),
        { id: '141', author: alice, created: '2026-11-20T09:00:00.000+0000', items: [{ field: 'description', fieldtype: 'jira', fieldId: 'description', from: null, fromString: 'v1', to: null, toString: 'v2' }] },
        { id: '142', author: alice, created: '2026-11-20T09:30:00.000+0000', items: [{ field: 'description', fieldtype: 'jira', fieldId: 'description', from: null, fromString: 'v2', to: null, toString: 'v3' }] },
      ],
    }),
  ],
  isLast: true,
};

/** `/issue/CHG-14/changelog`, two pages of 3 and 2. */
export const changelog14Page1 = {
  self: `${SITE}/rest/api/3/issue/CHG-14/changelog?maxResults=100&startAt=0`,
  maxResults: 3,
  startAt: 0,
  total: 5,
  isLast: false,
  values: searchPage2.issues[0]!.changelog.histories,
};
export const changelog14Page2 = {
  self: `${SITE}/rest/api/3/issue/CHG-14/changelog?maxResults=100&startAt=3`,
  maxResults: 3,
  startAt: 3,
  total: 5,
  isLast: true,
  values: [
    statusChange('143', alice, '2026-11-21T10:00:00.000+0000', 'Awaiting Approval', 'Approved'),
    statusChange('144', alice, '2026-11-21T12:00:00.000+0000', 'Approved', 'Deployed'),
  ],
};

export const unauthorized = { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} };
export const badJql = { errorMessages: ["The value 'CHANGE' does not exist for the field 'project'."], errors: {} };
