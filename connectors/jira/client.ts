import type { z } from 'zod';
import type { ConnectorIO, RequestRef } from '../../src/core/connector.js';
import { toolName } from '../../src/core/version.js';
import { getJson, getJsonBody, parseResponse as parse, type Fetched, type JsonApiOptions } from '../../src/http/json-api.js';
import { changelogPage, searchFields, searchResponse, usersPage, type ChangelogHistory } from './api-schemas.js';
import type { JiraSettings } from './settings.js';
import { cursorChain, cursorIn, readAhead } from '../../src/core/concurrency.js';

/** Largest page `/search/jql` serves when fields and the changelog are requested. */
export const searchPageSize = 100;
/** Largest page of `/issue/{key}/changelog`. */
export const changelogPageSize = 100;
/** Largest page of `/users/search`. */
export const usersPageSize = 1000;

/** Jira Cloud REST v3 over the shared HTTP layer; every response zod-validated at the boundary. */
export class JiraApi {
  constructor(
    private readonly options: JsonApiOptions,
    /** Site URL without a trailing slash (`https://acme.atlassian.net`). */
    readonly site: string,
  ) {}

  static create(settings: JiraSettings, io: ConnectorIO): JiraApi {
    const authorization = settings.bearerToken
      ? `Bearer ${settings.bearerToken.reveal()}`
      : `Basic ${Buffer.from(`${settings.email}:${settings.apiToken!.reveal()}`).toString('base64')}`;
    return new JiraApi(
      {
        fetch: io.fetch,
        clock: io.clock,
        signal: io.signal,
        requestIdHeader: 'x-arequestid',
        headers: { authorization, accept: 'application/json', 'user-agent': toolName },
      },
      settings.site.replace(/\/$/, ''),
    );
  }

  /** Issues matching `jql`, with their embedded changelog, page by page (`nextPageToken`). */
  search(jql: string): AsyncGenerator<Fetched<z.output<typeof searchResponse>>> {
    const url = (nextPageToken: string | undefined) => {
      const params = new URLSearchParams({ jql, fields: searchFields.join(','), expand: 'changelog', maxResults: String(searchPageSize) });
      if (nextPageToken) params.set('nextPageToken', nextPageToken);
      return `${this.site}/rest/api/3/search/jql?${params}`;
    };
    // The last page says `isLast: true`; a page without a token ends the listing too.
    const cursorOf = (page: unknown) => ((page as { isLast?: unknown } | null)?.isLast === true ? undefined : cursorIn(page, 'nextPageToken'));
    return cursorChain(
      (nextPageToken) => getJsonBody(this.options, url(nextPageToken)),
      ({ body }) => cursorOf(body),
      ({ body, request }) => {
        const page = { data: parse(searchResponse, body, request), request };
        return { page, cursor: cursorOf(page.data) };
      },
    );
  }

  /** An issue's whole changelog, for issues whose embedded changelog was cut short. */
  async changelog(key: string): Promise<{ histories: ChangelogHistory[]; requests: RequestRef[] }> {
    const histories: ChangelogHistory[] = [];
    const requests: RequestRef[] = [];
    for (let startAt = 0; ; ) {
      const params = new URLSearchParams({ startAt: String(startAt), maxResults: String(changelogPageSize) });
      const page = await getJson(this.options, `${this.site}/rest/api/3/issue/${encodeURIComponent(key)}/changelog?${params}`, changelogPage);
      histories.push(...page.data.values);
      requests.push(page.request);
      if (page.data.isLast || page.data.values.length === 0) return { histories, requests };
      startAt += page.data.values.length;
    }
  }

  /** Every user of the site, page by page; a short page can still be followed by more, so paging stops on an empty one. */
  users(): AsyncGenerator<Fetched<z.output<typeof usersPage>>> {
    // One page ahead: the next request leaves as soon as its cursor is known, while the collector still processes this page.
    return readAhead(this.usersInOrder());
  }

  private async *usersInOrder(): AsyncGenerator<Fetched<z.output<typeof usersPage>>> {
    for (let startAt = 0; ; ) {
      const params = new URLSearchParams({ startAt: String(startAt), maxResults: String(usersPageSize) });
      const page = await getJson(this.options, `${this.site}/rest/api/3/users/search?${params}`, usersPage);
      if (page.data.length === 0) return;
      yield page;
      startAt += page.data.length;
    }
  }
}
