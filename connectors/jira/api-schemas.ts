import { z } from 'zod';

/** A Jira user as issue fields and changelogs embed it; `emailAddress` is absent when the user's privacy settings hide it. */
export const jiraUser = z.object({
  accountId: z.string(),
  displayName: z.string().optional(),
  emailAddress: z.string().optional(),
  active: z.boolean().optional(),
});

export const changelogItem = z.object({
  field: z.string(),
  fieldId: z.string().optional(),
  fieldtype: z.string().optional(),
  from: z.string().nullable().optional(),
  fromString: z.string().nullable().optional(),
  to: z.string().nullable().optional(),
  toString: z.string().nullable().optional(),
});

export const changelogHistory = z.object({
  id: z.string(),
  author: jiraUser.optional(),
  created: z.string(),
  items: z.array(changelogItem),
});

export type ChangelogHistory = z.output<typeof changelogHistory>;

export const searchIssue = z.object({
  id: z.string(),
  key: z.string(),
  self: z.string(),
  fields: z.object({
    summary: z.string(),
    issuetype: z.object({ name: z.string() }),
    status: z.object({ name: z.string() }),
    created: z.string(),
    updated: z.string(),
    resolutiondate: z.string().nullable().optional(),
    reporter: jiraUser.nullable().optional(),
    assignee: jiraUser.nullable().optional(),
    labels: z.array(z.string()).default([]),
  }),
  changelog: z.object({
    startAt: z.number(),
    maxResults: z.number(),
    total: z.number(),
    histories: z.array(changelogHistory),
  }),
});

export type SearchIssue = z.output<typeof searchIssue>;

/** `GET /rest/api/3/search/jql`: token paging, `isLast` on the last page. */
export const searchResponse = z.object({
  issues: z.array(searchIssue),
  nextPageToken: z.string().nullable().optional(),
  isLast: z.boolean().optional(),
});

/** `GET /rest/api/3/issue/{key}/changelog`: offset paging. */
export const changelogPage = z.object({
  startAt: z.number(),
  maxResults: z.number(),
  total: z.number(),
  isLast: z.boolean(),
  values: z.array(changelogHistory),
});

/** `GET /rest/api/3/users/search`: a bare array, offset paging. */
export const usersPage = z.array(
  z.object({
    accountId: z.string(),
    accountType: z.string(),
    displayName: z.string().optional(),
    emailAddress: z.string().optional(),
    active: z.boolean(),
  }),
);

/** The issue fields a search asks for: only what the evidence uses. */
export const searchFields = ['summary', 'issuetype', 'status', 'created', 'updated', 'resolutiondate', 'reporter', 'assignee', 'labels'];
