import { z } from 'zod';
import type { ConnectorIO, RequestRef } from '../../src/core/connector.js';
import { toolName } from '../../src/core/version.js';
import { getJson, type Fetched, type JsonApiOptions } from '../../src/http/json-api.js';
import { kb4Campaign, type Kb4Campaign } from './api-schemas.js';
import { knowbe4RegionUrls, type KnowBe4Settings } from './settings.js';
import { readAhead } from '../../src/core/concurrency.js';

/** The Reporting API's largest page. */
export const knowbe4PageSize = 500;

/** One paced call: when it started, when its answer came back (and a promise of that). */
interface KnowBe4Call {
  startedAt: number;
  answeredAt?: number;
  answer: Promise<void>;
}

/** The Reporting API's documented rate: 4 requests a second. */
export const knowbe4RequestsPerSecond = 4;

/** KnowBe4 Reporting API over the shared HTTP layer (bearer token, page/per_page paging). */
export class KnowBe4Api {
  private campaignsPromise: Promise<{ campaigns: Kb4Campaign[]; requests: RequestRef[] }> | undefined;
  /** The instance's last calls, for pacing. */
  private calls: KnowBe4Call[] = [];
  private pacing: Promise<void> = Promise.resolve();

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
      const answered = await this.slot();
      // The call is answered when its headers come, not once its page is read and validated: on a
      // busy event loop that came hundreds of ms later and held the next calls back as long.
      const answeredAtHeaders = { ...this.options, fetch: ((url: string, init?: RequestInit) => this.options.fetch(url, init).finally(answered)) as typeof fetch };
      const fetched = await getJson(answeredAtHeaders, `${this.baseUrl}${path}?${query}`, z.array(item)).finally(answered);
      yield fetched;
      if (fetched.data.length < knowbe4PageSize) return;
    }
  }

  /**
   * Keeps the instance's calls within {@link knowbe4RequestsPerSecond}, as the API counts them (on
   * arrival), instead of learning the limit from 429 answers: a call starts at least 1/4 s after
   * the previous one, and at least 1 s after the answer to the call four before it (that call
   * arrived no later than its answer, so no five can arrive within a second, whatever the shared
   * HTTP queue held back). Call the returned function when the answer's headers (or an error) have come back.
   */
  private slot(): Promise<() => void> {
    // One caller at a time: collectors asking at once must not read the same last call and start together.
    const next = this.pacing.then(() => this.takeSlot());
    this.pacing = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private async takeSlot(): Promise<() => void> {
    const now = () => this.options.clock.now().getTime();
    const n = knowbe4RequestsPerSecond;
    const nth = this.calls.length >= n ? this.calls.at(-n) : undefined;
    // The call four back still unanswered (the queue holds it, or it is slow): its answer comes first.
    if (nth && nth.answeredAt === undefined) await nth.answer;
    const last = this.calls.at(-1);
    const earliest = Math.max(last ? last.startedAt + 1000 / n : -Infinity, nth ? nth.answeredAt! + 1000 : -Infinity);
    const wait = earliest - now();
    if (wait > 0) await this.options.clock.sleep(wait, this.options.signal);
    let answered!: () => void;
    const call: KnowBe4Call = { startedAt: now(), answer: new Promise<void>((resolve) => (answered = resolve)) };
    this.calls = [...this.calls.slice(-(n - 1)), call];
    return () => {
      call.answeredAt ??= now();
      answered();
    };
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
