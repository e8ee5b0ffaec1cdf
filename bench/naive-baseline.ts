/**
 * The naive baseline (`npm run bench`): evidence collection written the way a team writes it by
 * hand with the same SDKs — @octokit/rest, the AWS SDK v3 clients, @microsoft/microsoft-graph-client,
 * @googleapis/admin, plain fetch for Jira and KnowBe4 — sequential, one call per user and per
 * repository where the API offers one, default page sizes, no rate-limit awareness. Run by
 * `baseline.ts` as a child process against the same limited sandbox as the real collection.
 *
 * What "no rate-limit awareness" means here, as such scripts usually do it: each SDK's own default
 * retries (the AWS SDK: 3 attempts; the Graph client: its RetryHandler, 3 retries honouring
 * Retry-After; Octokit and googleapis: none), then a hand-written loop that sleeps 1 s and tries
 * again, up to 10 times, on a 429 or a throttling error. Nothing paces requests before the API
 * refuses them, and nothing watches GitHub's `x-ratelimit-remaining`: past 5,000 requests in an
 * hour the script fails with GitHub's 403.
 *
 * Per-item calls (per repository, per user, per ticket) run over a deterministic sample — every
 * `sampleEvery`-th item in the API's own order — and are timed and counted separately, so the
 * parent can extrapolate them linearly to all items; listings run in full. The API sections run
 * one after another in the real script; here they run concurrently (each sequential inside) and the
 * parent adds their times up, which is the same total because no two APIs share a limit.
 *
 * Input: the JSON in `ANNEXA_NAIVE_INPUT`; output: one JSON line on stdout.
 */
import { Octokit } from '@octokit/rest';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { IAMClient, ListUsersCommand, ListMFADevicesCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CloudTrailClient, LookupEventsCommand, DescribeTrailsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { BackupClient, ListBackupJobsCommand, ListBackupPlansCommand, ListBackupVaultsCommand } from '@aws-sdk/client-backup';
import { Client } from '@microsoft/microsoft-graph-client';
import { admin, auth } from '@googleapis/admin';

/** What the parent passes in. */
export interface NaiveInput {
  sampleEvery: number;
  github: { url: string; token: string; org: string };
  aws: { url: string; accounts: string[]; roleName: string; regions: string[]; accessKeyId: string; secretAccessKey: string };
  entra: { url: string; tenantId: string; clientId: string; clientSecret: string };
  google: { url: string; key: string; adminEmail: string };
  jira: { url: string; token: string; project: string };
  knowbe4: { url: string; token: string };
}

/** What one API section did. */
export interface NaiveSection {
  /** Seconds for the whole section (listings in full, per-item calls on the sample). */
  seconds: number;
  /** Items the per-item calls are made for, and how many of them were sampled. */
  items: number;
  sampled: number;
  /** Calls and seconds spent on the sampled items' per-item calls. */
  perItemCalls: number;
  perItemSeconds: number;
  /** Set when the section failed (the script would have stopped there). */
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The hand-written retry: on a 429 or an AWS throttling error, wait a second and try again (10 times). */
async function naive<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const e = error as { status?: number; statusCode?: number; name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.status ?? e.statusCode ?? e.$metadata?.httpStatusCode;
      const throttled = status === 429 || /Throttl|TooManyRequests/.test(e.name ?? '');
      if (!throttled || attempt >= 10) throw error;
      await sleep(1000);
    }
  }
}

/** Times a section; per-item work reports through `item()`. */
async function section(items: () => Promise<{ items: number; run: (item: (fn: () => Promise<number>) => Promise<void>) => Promise<void> }>): Promise<NaiveSection> {
  const began = performance.now();
  const out: NaiveSection = { seconds: 0, items: 0, sampled: 0, perItemCalls: 0, perItemSeconds: 0 };
  try {
    const plan = await items();
    out.items = plan.items;
    await plan.run(async (fn) => {
      const t = performance.now();
      out.perItemCalls += await fn();
      out.perItemSeconds += (performance.now() - t) / 1000;
      out.sampled += 1;
    });
  } catch (error) {
    out.error = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : String(error);
  }
  out.seconds = (performance.now() - began) / 1000;
  return out;
}

const sampled = <T>(list: readonly T[], every: number) => list.filter((_, i) => i % every === 0);

async function github(input: NaiveInput): Promise<NaiveSection> {
  const { url, token, org } = input.github;
  const octokit = new Octokit({ auth: token, baseUrl: url });
  return section(async () => {
    await naive(() => octokit.rest.orgs.get({ org }));
    await naive(() => octokit.paginate(octokit.rest.orgs.listMembers, { org, per_page: 100 }));
    await naive(() => octokit.paginate(octokit.rest.orgs.listMembers, { org, filter: '2fa_disabled', per_page: 100 }));
    const repos = await naive(() => octokit.paginate(octokit.rest.repos.listForOrg, { org, per_page: 100 }));
    const since = Date.now() - 90 * 86_400_000;
    return {
      items: repos.length,
      run: async (item) => {
        for (const repo of sampled(repos, input.sampleEvery)) {
          await item(async () => {
            let calls = 0;
            const count = <T>(p: Promise<T>) => p.finally(() => (calls += 1));
            try {
              await naive(() => count(octokit.rest.repos.getBranchProtection({ owner: org, repo: repo.name, branch: repo.default_branch ?? 'main' })));
            } catch (error) {
              if ((error as { status?: number }).status !== 404) throw error;
            }
            // paginate: one call per page of 100.
            const pulls = await naive(() => octokit.paginate(octokit.rest.pulls.list, { owner: org, repo: repo.name, state: 'closed', per_page: 100 }));
            calls += Math.max(1, Math.ceil(pulls.length / 100));
            for (const pr of pulls.filter((p) => p.merged_at && Date.parse(p.merged_at) >= since && p.base.ref === repo.default_branch)) {
              await naive(() => count(octokit.rest.pulls.listReviews({ owner: org, repo: repo.name, pull_number: pr.number, per_page: 100 })));
            }
            await naive(() => count(octokit.rest.repos.listCollaborators({ owner: org, repo: repo.name, affiliation: 'outside', per_page: 100 })));
            await naive(() => count(octokit.rest.dependabot.listAlertsForRepo({ owner: org, repo: repo.name, state: 'open', per_page: 100 })));
            return calls;
          });
        }
      },
    };
  });
}

async function aws(input: NaiveInput): Promise<NaiveSection> {
  const { url, accounts, roleName, regions, accessKeyId, secretAccessKey } = input.aws;
  const base = { endpoint: url, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey } };
  return section(async () => {
    const sessions: { account: string; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string } }[] = [];
    for (const account of accounts) {
      const out = await naive(() => new STSClient(base).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${roleName}`, RoleSessionName: 'naive' })));
      const c = out.Credentials!;
      sessions.push({ account, credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } });
    }
    const users: { iam: IAMClient; name: string }[] = [];
    for (const s of sessions) {
      const iam = new IAMClient({ ...base, credentials: s.credentials });
      let marker: string | undefined;
      do {
        const page = await naive(() => iam.send(new ListUsersCommand({ ...(marker ? { Marker: marker } : {}) })));
        for (const u of page.Users ?? []) users.push({ iam, name: u.UserName! });
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
      for (const region of regions) {
        const trail = new CloudTrailClient({ ...base, region, credentials: s.credentials });
        const trails = await naive(() => trail.send(new DescribeTrailsCommand({})));
        for (const t of trails.trailList ?? []) await naive(() => trail.send(new GetTrailStatusCommand({ Name: t.TrailARN! })));
        const startTime = new Date(Date.now() - 30 * 86_400_000);
        for (const attribute of [{ AttributeKey: 'EventSource' as const, AttributeValue: 'iam.amazonaws.com' }, { AttributeKey: 'EventName' as const, AttributeValue: 'ConsoleLogin' }]) {
          let token: string | undefined;
          do {
            const page = await naive(() => trail.send(new LookupEventsCommand({ LookupAttributes: [attribute], StartTime: startTime, ...(token ? { NextToken: token } : {}) })));
            token = page.NextToken;
          } while (token);
        }
        const backup = new BackupClient({ ...base, region, credentials: s.credentials });
        await naive(() => backup.send(new ListBackupPlansCommand({})));
        await naive(() => backup.send(new ListBackupVaultsCommand({})));
        let next: string | undefined;
        do {
          const page = await naive(() => backup.send(new ListBackupJobsCommand({ ByCreatedAfter: new Date(Date.now() - 35 * 86_400_000), ...(next ? { NextToken: next } : {}) })));
          next = page.NextToken;
        } while (next);
      }
    }
    return {
      items: users.length,
      run: async (item) => {
        for (const u of sampled(users, input.sampleEvery)) {
          await item(async () => {
            await naive(() => u.iam.send(new ListMFADevicesCommand({ UserName: u.name })));
            await naive(() => u.iam.send(new ListAccessKeysCommand({ UserName: u.name })));
            return 2;
          });
        }
      },
    };
  });
}

async function entra(input: NaiveInput): Promise<NaiveSection> {
  const { url, tenantId, clientId, clientSecret } = input.entra;
  return section(async () => {
    const tokenResponse = await naive(async () => {
      const r = await fetch(`${url}/${tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'https://graph.microsoft.com/.default' }),
      });
      if (!r.ok) throw Object.assign(new Error(`token: HTTP ${r.status}`), { status: r.status });
      return (await r.json()) as { access_token: string };
    });
    const client = Client.init({ authProvider: (done) => done(null, tokenResponse.access_token), baseUrl: `${url}/`, defaultVersion: 'v1.0', customHosts: new Set([new URL(url).hostname]) });
    const users: { id: string }[] = [];
    let next: string | undefined = '/users';
    while (next) {
      const page = (await naive(() => client.api(next!).get())) as { value: { id: string }[]; '@odata.nextLink'?: string };
      users.push(...page.value);
      next = page['@odata.nextLink'];
    }
    await naive(() => client.api('/identity/conditionalAccess/policies').get());
    return {
      items: users.length,
      run: async (item) => {
        for (const u of sampled(users, input.sampleEvery)) {
          await item(async () => {
            await naive(() => client.api(`/users/${u.id}/authentication/methods`).get());
            return 1;
          });
        }
      },
    };
  });
}

async function google(input: NaiveInput): Promise<NaiveSection> {
  const key = JSON.parse(input.google.key) as { client_email: string; private_key: string; token_uri: string };
  // google-auth-library posts the JWT grant to Google's token URL; the sandbox key names its own (harness plumbing, not naivety).
  const fetchImplementation: typeof fetch = (i, init) => fetch(String(i instanceof Request ? i.url : i) === 'https://oauth2.googleapis.com/token' ? key.token_uri : i, init);
  const jwt = new auth.JWT({
    email: key.client_email,
    key: key.private_key,
    scopes: ['https://www.googleapis.com/auth/admin.directory.user.readonly', 'https://www.googleapis.com/auth/admin.reports.audit.readonly'],
    subject: input.google.adminEmail,
    transporterOptions: { fetchImplementation },
  });
  const options = { auth: jwt, rootUrl: `${input.google.url}/` };
  const directory = admin({ version: 'directory_v1', ...options });
  const reports = admin({ version: 'reports_v1', ...options });
  return section(async () => {
    const users: { id?: string | null }[] = [];
    let pageToken: string | undefined;
    do {
      const page = await naive(() => directory.users.list({ customer: 'my_customer', ...(pageToken ? { pageToken } : {}) }));
      users.push(...(page.data.users ?? []));
      pageToken = page.data.nextPageToken ?? undefined;
    } while (pageToken);
    const startTime = new Date(Date.now() - 30 * 86_400_000).toISOString();
    do {
      const page = await naive(() => reports.activities.list({ userKey: 'all', applicationName: 'login', startTime, ...(pageToken ? { pageToken } : {}) }));
      pageToken = page.data.nextPageToken ?? undefined;
    } while (pageToken);
    return {
      items: users.length,
      run: async (item) => {
        for (const u of sampled(users, input.sampleEvery)) {
          await item(async () => {
            await naive(() => directory.users.get({ userKey: u.id! }));
            return 1;
          });
        }
      },
    };
  });
}

/** GET with a bearer token, the naive retry and a thrown error for anything but 2xx. */
async function getJson<T>(url: string, token: string): Promise<T> {
  return naive(async () => {
    const r = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    if (!r.ok) throw Object.assign(new Error(`GET ${url}: HTTP ${r.status}`), { status: r.status });
    return (await r.json()) as T;
  });
}

async function jira(input: NaiveInput): Promise<NaiveSection> {
  const { url, token, project } = input.jira;
  return section(async () => {
    const keys: string[] = [];
    let next: string | undefined;
    do {
      const q = new URLSearchParams({ jql: `(project = ${project}) AND updated >= "-90d"`, fields: 'summary,status,assignee,reporter,created,updated' });
      if (next) q.set('nextPageToken', next);
      const page = await getJson<{ issues: { key: string }[]; nextPageToken?: string }>(`${url}/rest/api/3/search/jql?${q}`, token);
      keys.push(...page.issues.map((i) => i.key));
      next = page.nextPageToken;
    } while (next);
    for (let startAt = 0; ; startAt += 50) {
      const page = await getJson<unknown[]>(`${url}/rest/api/3/users/search?startAt=${startAt}`, token);
      if (page.length === 0) break;
    }
    return {
      items: keys.length,
      run: async (item) => {
        for (const key of sampled(keys, input.sampleEvery)) {
          await item(async () => {
            let calls = 0;
            for (let startAt = 0; ; startAt += 100) {
              calls += 1;
              const page = await getJson<{ isLast: boolean }>(`${url}/rest/api/3/issue/${key}/changelog?startAt=${startAt}`, token);
              if (page.isLast) break;
            }
            return calls;
          });
        }
      },
    };
  });
}

async function knowbe4(input: NaiveInput): Promise<NaiveSection> {
  const { url, token } = input.knowbe4;
  return section(async () => {
    for (const path of ['/v1/users', '/v1/training/campaigns', '/v1/training/enrollments', '/v1/phishing/security_tests']) {
      for (let page = 1; ; page++) {
        const items = await getJson<unknown[]>(`${url}${path}?page=${page}`, token);
        if (items.length === 0) break;
      }
    }
    return { items: 0, run: async () => {} };
  });
}

const input = JSON.parse(process.env.ANNEXA_NAIVE_INPUT ?? '{}') as NaiveInput;
const [g, a, e, go, j, k] = await Promise.all([github(input), aws(input), entra(input), google(input), jira(input), knowbe4(input)]);
process.stdout.write(`${JSON.stringify({ github: g, aws: a, entra: e, google: go, jira: j, knowbe4: k })}\n`);
