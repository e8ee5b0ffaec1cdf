import { z } from 'zod';
import type { ConnectorIO, RequestRef } from '../../src/core/connector.js';
import { toolName } from '../../src/core/version.js';
import { getJson, type Fetched, type JsonApiOptions } from '../../src/http/json-api.js';
import { kb4Campaign, type Kb4Campaign } from './api-schemas.js';
import { knowbe4RegionUrls, type KnowBe4Settings } from './settings.js';
import { readAhead } from '../../src/core/concurrency.js';

/** The Reporting API's largest page. */
export const knowbe4PageSize = 500;

/** KnowBe4 Reporting API over the shared HTTP layer (bearer token, page/per_page paging). */
export class KnowBe4Api {
  private campaignsPromise: Promise<{ campaigns: Kb4Campaign[]; requests: RequestRef[] }> | undefined;

  constructor(
    private readonly options: JsonApiOptions,
    /** Base URL without a trailing slash. */
    readonly baseUrl: string,
  ) {}

  static create(settings: KnowBe4Settings, io: ConnectorIO): KnowBe4Api {
    return new KnowBe4Api(
      {
        fetch: io.fetch,
        clock: io.clock,
        signal: io.signal,
        headers: { authorization: `Bearer ${settings.token.reveal()}`, accept: 'application/json', 'user-agent': toolName },
      },
      (settings.baseUrl ?? knowbe4RegionUrls[settings.region]).replace(/\/$/, ''),
    );
  }

  /**
   * Every item of a list endpoint, page by page at the largest page size. The API sends no total
   * or next link: a page shorter than `per_page` is the last.
   */
  list<S extends z.ZodType>(path: string, item: S, params: Record<string, string> = {}): AsyncGenerator<Fetched<z.output<S>[]>> {
    // One page ahead: the next request leaves as soon as its cursor is known, while the collector still processes this page.
    return readAhead(this.listInOrder<S>(path, item, params));
  }

  private async *listInOrder<S extends z.ZodType>(path: string, item: S, params: Record<string, string> = {}): AsyncGenerator<Fetched<z.output<S>[]>> {
    for (let page = 1; ; page++) {
      const query = new URLSearchParams({ ...params, page: String(page), per_page: String(knowbe4PageSize) });
      const fetched = await getJson(this.options, `${this.baseUrl}${path}?${query}`, z.array(item));
      yield fetched;
      if (fetched.data.length < knowbe4PageSize) return;
    }
  }

  /** Training campaigns, fetched once per run (enrollments take their due dates from them). */
  campaigns(): Promise<{ campaigns: Kb4Campaign[]; requests: RequestRef[] }> {
    this.campaignsPromise ??= (async () => {
      const campaigns: Kb4Campaign[] = [];
      const requests: RequestRef[] = [];
      for await (const page of this.list('/v1/training/campaigns', kb4Campaign)) {
        campaigns.push(...page.data);
        requests.push(page.request);
      }
      return { campaigns, requests };
    })();
    return this.campaignsPromise;
  }
}
