import type { Logger } from '../../src/core/logger.js';
import type { RequestRef } from '../../src/core/connector.js';
import type { GitHubApi } from './client.js';
import { simpleUser } from './api-schemas.js';

/** Who an owners-only 2FA filter listed, or why the token could not see it. */
export interface TwoFactorListing {
  /** User ids in the listing; empty when not visible. */
  ids: Set<number>;
  requests: RequestRef[];
  /** Null when visible; otherwise why not (the HTTP status GitHub answered). */
  notVisibleReason: string | null;
}

/**
 * Reads an owners-only filtered listing (`/orgs/{org}/members?filter=2fa_disabled`,
 * `filter=2fa_insecure`, `/orgs/{org}/outside_collaborators?filter=2fa_disabled`). Absence from
 * the list only means "enabled" (or "secure") when the list was visible: GitHub answers 403 or
 * 422 to tokens that may not use the filter, and that is recorded, never guessed.
 */
export async function twoFactorListing(
  client: GitHubApi,
  route: 'GET /orgs/{org}/members' | 'GET /orgs/{org}/outside_collaborators',
  filter: '2fa_disabled' | '2fa_insecure',
  logger: Logger,
): Promise<TwoFactorListing> {
  const listing: TwoFactorListing = { ids: new Set(), requests: [], notVisibleReason: null };
  try {
    for await (const page of client.paginate(route, { org: client.org, filter }, simpleUser)) {
      listing.requests.push(page.request);
      for (const user of page.items) listing.ids.add(user.id);
    }
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status !== 403 && status !== 422) throw error;
    listing.ids.clear();
    listing.requests = [];
    listing.notVisibleReason = `HTTP ${status} from filter=${filter}: only organization owners can see 2FA status`;
    logger.warn({ org: client.org, filter }, '2FA status is not visible to this token; recording it as not visible');
  }
  return listing;
}
