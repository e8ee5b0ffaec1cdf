import { describe, expect, it } from 'vitest';
import { validate } from '@octokit/graphql-schema';
import {
  mergedPullRequestsQuery,
  moreOutsideCollaboratorsQuery,
  outsideCollaboratorAccessQuery,
  repositoriesQuery,
} from '../../connectors/github/api-schemas.js';

/** Every GraphQL document the connector sends, validated against GitHub's published schema. */
const documents: [string, string][] = [
  ['AnnexaRepositories', repositoriesQuery],
  ['AnnexaMergedPullRequests (1 repository)', mergedPullRequestsQuery(1)],
  ['AnnexaMergedPullRequests (50 repositories)', mergedPullRequestsQuery(50)],
  ['AnnexaOutsideCollaboratorAccess', outsideCollaboratorAccessQuery],
  ['AnnexaMoreOutsideCollaborators', moreOutsideCollaboratorsQuery],
];

describe("the connector's GraphQL documents", () => {
  it.each(documents)('%s is valid against @octokit/graphql-schema', (_name, document) => {
    expect(validate(document).map((e) => e.message)).toEqual([]);
  });

  it('the validator does reject what GitHub would (a field that does not exist)', () => {
    expect(validate(repositoriesQuery.replace('hasVulnerabilityAlertsEnabled', 'hasVulnerabilityAlertsOn')).map((e) => e.message)).toEqual([
      'Cannot query field "hasVulnerabilityAlertsOn" on type "Repository". Did you mean "vulnerabilityAlerts", "hasVulnerabilityAlertsEnabled", or "vulnerabilityAlert"?',
    ]);
  });
});
