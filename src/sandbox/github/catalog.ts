/**
 * Static word lists for the synthetic GitHub world: repository names,
 * vulnerable packages and weakness classes. Kept apart from the generator so
 * that `data.ts` reads as logic rather than data.
 */

/** Repositories an engineering-led robotics company plausibly has (60 = scale 1). */
export const REPOSITORY_NAMES = [
  'fleet-api', 'fleet-dashboard', 'motion-planner', 'arm-firmware', 'gripper-firmware',
  'vision-pipeline', 'lidar-driver', 'sensor-fusion', 'nav-stack', 'sim-environment',
  'telemetry-ingest', 'telemetry-dashboard', 'ota-updater', 'device-registry', 'billing-service',
  'customer-portal', 'identity-service', 'notification-service', 'data-warehouse', 'ml-training',
  'ml-models', 'labeling-tool', 'docs-site', 'marketing-site', 'design-system',
  'mobile-app', 'edge-agent', 'edge-gateway', 'infra-terraform', 'k8s-manifests',
  'ci-templates', 'observability', 'incident-runbooks', 'security-policies', 'sbom-tools',
  'secrets-rotation', 'hr-integrations', 'finance-reports', 'sales-cpq', 'support-tools',
  'kb-articles', 'robot-sdk-python', 'robot-sdk-cpp', 'ros2-bridge', 'calibration-tools',
  'factory-test', 'warehouse-picker', 'path-optimizer', 'battery-monitor', 'safety-controller',
  'api-gateway', 'auth-proxy', 'feature-flags', 'event-bus', 'order-service',
  'inventory-service', 'analytics-pipeline', 'legacy-scheduler', 'hackathon-2019', 'prototype-v1',
] as const;

/** Names from {@link REPOSITORY_NAMES} that read as abandoned; archived repos come from here first. */
export const ARCHIVE_CANDIDATES = ['legacy-scheduler', 'hackathon-2019', 'prototype-v1'] as const;

/** Open-source style repositories that are public. */
export const PUBLIC_REPOSITORIES: ReadonlySet<string> = new Set([
  'robot-sdk-python', 'robot-sdk-cpp', 'ros2-bridge', 'docs-site', 'design-system',
]);

/** Building blocks for extra repository names when scale > 1. */
export const EXTRA_NAME_AREAS = [
  'fleet', 'motion', 'vision', 'sensor', 'arm', 'gripper', 'nav', 'telemetry', 'billing', 'identity',
  'docs', 'infra', 'ops', 'data', 'ml', 'sim', 'ui', 'mobile', 'edge', 'firmware',
] as const;
export const EXTRA_NAME_KINDS = [
  'service', 'api', 'web', 'sdk', 'lib', 'worker', 'pipeline', 'tools', 'dashboard', 'config',
] as const;

/** Primary language per repository name prefix, purely cosmetic. */
export const LANGUAGES = ['TypeScript', 'Python', 'Go', 'C++', 'Rust', 'HCL', 'Java'] as const;

/** Package ecosystem as named by the Dependabot REST API. */
export type Ecosystem = 'npm' | 'pip' | 'maven' | 'go' | 'rubygems' | 'nuget' | 'composer' | 'rust';

/** A package that synthetic advisories can target. */
export interface VulnerablePackage {
  ecosystem: Ecosystem;
  name: string;
  manifests: readonly string[];
}

export const VULNERABLE_PACKAGES: readonly VulnerablePackage[] = [
  { ecosystem: 'npm', name: 'lodash', manifests: ['package-lock.json', 'web/package-lock.json'] },
  { ecosystem: 'npm', name: 'axios', manifests: ['package-lock.json'] },
  { ecosystem: 'npm', name: 'express', manifests: ['package-lock.json', 'server/package-lock.json'] },
  { ecosystem: 'npm', name: 'jsonwebtoken', manifests: ['package-lock.json'] },
  { ecosystem: 'npm', name: 'ws', manifests: ['package-lock.json'] },
  { ecosystem: 'npm', name: 'semver', manifests: ['package-lock.json', 'yarn.lock'] },
  { ecosystem: 'npm', name: 'tar', manifests: ['package-lock.json'] },
  { ecosystem: 'npm', name: 'follow-redirects', manifests: ['package-lock.json'] },
  { ecosystem: 'pip', name: 'django', manifests: ['requirements.txt'] },
  { ecosystem: 'pip', name: 'requests', manifests: ['requirements.txt', 'poetry.lock'] },
  { ecosystem: 'pip', name: 'pyyaml', manifests: ['requirements.txt'] },
  { ecosystem: 'pip', name: 'pillow', manifests: ['requirements.txt', 'poetry.lock'] },
  { ecosystem: 'pip', name: 'urllib3', manifests: ['poetry.lock'] },
  { ecosystem: 'pip', name: 'cryptography', manifests: ['requirements.txt'] },
  { ecosystem: 'pip', name: 'jinja2', manifests: ['requirements.txt'] },
  { ecosystem: 'maven', name: 'com.fasterxml.jackson.core:jackson-databind', manifests: ['pom.xml'] },
  { ecosystem: 'maven', name: 'org.apache.logging.log4j:log4j-core', manifests: ['pom.xml'] },
  { ecosystem: 'go', name: 'golang.org/x/net', manifests: ['go.mod'] },
  { ecosystem: 'go', name: 'github.com/gin-gonic/gin', manifests: ['go.mod'] },
  { ecosystem: 'go', name: 'google.golang.org/grpc', manifests: ['go.mod'] },
  { ecosystem: 'rust', name: 'tokio', manifests: ['Cargo.lock'] },
];

/** A class of weakness with its CWE, used to phrase advisory summaries. */
export interface WeaknessKind {
  phrase: string;
  cweId: string;
  cweName: string;
}

export const WEAKNESSES: readonly WeaknessKind[] = [
  { phrase: 'Prototype pollution', cweId: 'CWE-1321', cweName: "Improperly Controlled Modification of Object Prototype Attributes ('Prototype Pollution')" },
  { phrase: 'Regular expression denial of service', cweId: 'CWE-1333', cweName: 'Inefficient Regular Expression Complexity' },
  { phrase: 'Path traversal', cweId: 'CWE-22', cweName: "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')" },
  { phrase: 'Server-side request forgery', cweId: 'CWE-918', cweName: 'Server-Side Request Forgery (SSRF)' },
  { phrase: 'Cross-site scripting', cweId: 'CWE-79', cweName: "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')" },
  { phrase: 'Deserialization of untrusted data', cweId: 'CWE-502', cweName: 'Deserialization of Untrusted Data' },
  { phrase: 'Uncontrolled resource consumption', cweId: 'CWE-400', cweName: 'Uncontrolled Resource Consumption' },
  { phrase: 'Remote code execution', cweId: 'CWE-94', cweName: "Improper Control of Generation of Code ('Code Injection')" },
  { phrase: 'Improper certificate validation', cweId: 'CWE-295', cweName: 'Improper Certificate Validation' },
  { phrase: 'Open redirect', cweId: 'CWE-601', cweName: "URL Redirection to Untrusted Site ('Open Redirect')" },
];

/** Severity as the Dependabot REST API spells it. */
export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';

/** CVSS v3.1 vectors whose base scores fall in each severity band. */
export const CVSS_BY_SEVERITY: Record<AlertSeverity, readonly { vectorString: string; score: number }[]> = {
  critical: [
    { vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 },
    { vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', score: 10.0 },
    { vectorString: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', score: 9.9 },
  ],
  high: [
    { vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', score: 7.5 },
    { vectorString: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', score: 8.8 },
    { vectorString: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 8.1 },
  ],
  medium: [
    { vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', score: 6.1 },
    { vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', score: 5.3 },
    { vectorString: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H', score: 5.9 },
  ],
  low: [
    { vectorString: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N', score: 2.5 },
    { vectorString: 'CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', score: 2.0 },
    { vectorString: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:L', score: 3.3 },
  ],
};

/** Pull request title templates; `{area}` is replaced by a repository-specific word. */
export const PR_TITLES = [
  'Fix flaky {area} test',
  'Add retry with backoff to {area} client',
  'Refactor {area} configuration loading',
  'Bump dependencies in {area}',
  'Improve {area} error messages',
  'Add metrics for {area}',
  'Handle timeouts in {area}',
  'Document {area} setup',
  'Remove dead code from {area}',
  'Speed up {area} build',
  'Validate {area} input',
  'Tighten {area} permissions',
] as const;
