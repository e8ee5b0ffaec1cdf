import { z } from 'zod';
import { defineCollector } from '../../src/core/connector.js';
import type { GitHubApi } from './client.js';
import type { GitHubSettings } from './settings.js';
import { dependabotAlert } from './api-schemas.js';

export const dependabotAlertPayload = z.object({
  repository: z.string().describe('owner/name.'),
  number: z.number().describe('Alert number within the repository.'),
  state: z.string().describe('Alert state (open).'),
  severity: z.string().describe('Advisory severity: low, medium, high or critical.'),
  ghsaId: z.string().describe('GitHub Security Advisory id.'),
  cveId: z.string().nullable().describe('CVE id, when the advisory has one.'),
  summary: z.string().describe('Advisory summary.'),
  ecosystem: z.string().describe('Package ecosystem (npm, pip, maven, ...).'),
  package: z.string().describe('Vulnerable package name.'),
  manifestPath: z.string().nullable().describe('Manifest that declares the dependency.'),
  vulnerableVersionRange: z.string().nullable().describe('Affected versions.'),
  firstPatchedVersion: z.string().nullable().describe('First fixed version, if any.'),
  createdAt: z.string().describe('When the alert was opened (UTC); its age is judged by checks, not here.'),
  url: z.string().describe('Web URL of the alert.'),
});

export const dependabotAlertsCollector = defineCollector<GitHubApi, GitHubSettings, typeof dependabotAlertPayload>({
  id: 'dependabot_alerts',
  kind: 'github.dependabot_alert.v1',
  title: 'Open Dependabot alerts',
  description: 'Every open Dependabot alert in the organization with severity and creation time (one org-wide listing, 100 per request).',
  subject: 'owner/name#alert-number',
  ttlHours: 36,
  payload: dependabotAlertPayload,
  async *collect({ client }) {
    for await (const page of client.paginate('GET /orgs/{org}/dependabot/alerts', { org: client.org, state: 'open' }, dependabotAlert)) {
      for (const alert of page.items) {
        yield {
          subject: `${alert.repository.full_name}#${alert.number}`,
          requests: [page.request],
          payload: {
            repository: alert.repository.full_name,
            number: alert.number,
            state: alert.state,
            severity: alert.security_advisory.severity,
            ghsaId: alert.security_advisory.ghsa_id,
            cveId: alert.security_advisory.cve_id ?? null,
            summary: alert.security_advisory.summary,
            ecosystem: alert.dependency.package.ecosystem,
            package: alert.dependency.package.name,
            manifestPath: alert.dependency.manifest_path ?? null,
            vulnerableVersionRange: alert.security_vulnerability.vulnerable_version_range ?? null,
            firstPatchedVersion: alert.security_vulnerability.first_patched_version?.identifier ?? null,
            createdAt: alert.created_at,
            url: alert.html_url,
          },
        };
      }
    }
  },
});
