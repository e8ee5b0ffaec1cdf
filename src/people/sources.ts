import { z } from 'zod';

/**
 * What the identity index knows about one account, from one evidence record. Every field but
 * `accountId` is optional because several kinds can describe the same account (Entra ID users
 * and their MFA registration) and are merged.
 */
export interface AccountFacts {
  /** The account's own identifier in its system (UPN, primary email, login, IAM user name). */
  accountId: string;
  /** Email addresses the system itself vouches for, best first. */
  emails?: readonly string[];
  /** A username that may be the local part of the person's email (AWS IAM user names). */
  username?: string;
  /** Second factor registered/enrolled/enabled; `null` when the evidence could not show it. */
  mfa?: boolean | null;
  /** Can sign in (not disabled, suspended or archived). */
  active?: boolean;
  /** Holds an administrative role in the system. */
  privileged?: boolean;
  /** An external or guest account. */
  guest?: boolean;
  /**
   * Signs in interactively (console or web). `false` for programmatic-only accounts (an IAM user
   * with access keys and no console password): there is no sign-in for a second factor to guard.
   */
  interactive?: boolean;
  /** Last sign-in (ISO-8601), `null` for never or not visible. */
  lastSignIn?: string | null;
}

/**
 * How one evidence kind contributes accounts to the identity index: a declared value, so adding a
 * system (AWS IAM users, an HR roster) is one more entry in {@link accountSources}.
 */
export interface AccountSource {
  kind: string;
  /** Short system name, also the prefix of `people.aliases` keys (`github`, `aws`). */
  system: string;
  /** Human name of the system (`Entra ID`). */
  label: string;
  /** What the system calls its second factor (`MFA`, `2SV`, `2FA`). */
  factor: string;
  /**
   * The roster: when any current set of a `definesPeople` kind exists, people are exactly its
   * emails, and accounts whose email is not on it are unmatched. Otherwise every email an account
   * system vouches for is a person.
   */
  definesPeople?: boolean;
  /** Reads one record; `undefined` skips it (a shape this source does not understand is reported, not guessed). */
  read(subject: string, payload: unknown): AccountFacts | undefined;
}

/** Declares a source whose fields are read through a zod schema of just the fields it uses. */
export function defineAccountSource<S extends z.ZodType>(source: Omit<AccountSource, 'read'> & { fields: S; facts(subject: string, fields: z.output<S>): AccountFacts }): AccountSource {
  const { fields, facts, ...rest } = source;
  return {
    ...rest,
    read(subject, payload) {
      const parsed = fields.safeParse(payload);
      return parsed.success ? facts(subject, parsed.data) : undefined;
    },
  };
}

const githubMember = defineAccountSource({
  kind: 'github.member.v1',
  system: 'github',
  label: 'GitHub',
  factor: '2FA',
  fields: z.object({
    login: z.string(),
    role: z.string(),
    twoFactorEnabled: z.boolean().nullable(),
    // Verified-domain emails, when the GitHub connector can see them; otherwise `people.aliases`.
    verifiedDomainEmails: z.array(z.string()).optional(),
  }),
  facts: (_subject, m) => ({
    accountId: m.login,
    emails: m.verifiedDomainEmails ?? [],
    mfa: m.twoFactorEnabled,
    active: true,
    privileged: m.role === 'admin',
  }),
});

const entraUser = defineAccountSource({
  kind: 'entra.user.v1',
  system: 'entra',
  label: 'Entra ID',
  factor: 'MFA',
  fields: z.object({
    userPrincipalName: z.string(),
    mail: z.string().nullable(),
    userType: z.string().nullable(),
    accountEnabled: z.boolean().nullable(),
    lastSignInDateTime: z.string().nullable(),
  }),
  facts: (_subject, u) => ({
    accountId: u.userPrincipalName,
    // Guests' UPNs (`jo_partner.example#EXT#@…`) are not addresses; their mail is.
    emails: [u.mail, u.userPrincipalName.includes('#EXT#') ? null : u.userPrincipalName].filter((e): e is string => !!e),
    active: u.accountEnabled !== false,
    guest: u.userType === 'Guest',
    lastSignIn: u.lastSignInDateTime,
  }),
});

const entraMfa = defineAccountSource({
  kind: 'entra.mfa_registration.v1',
  system: 'entra',
  label: 'Entra ID',
  factor: 'MFA',
  fields: z.object({ userPrincipalName: z.string(), isMfaRegistered: z.boolean(), isAdmin: z.boolean() }),
  facts: (_subject, r) => ({ accountId: r.userPrincipalName, mfa: r.isMfaRegistered, privileged: r.isAdmin }),
});

const googleUser = defineAccountSource({
  kind: 'google.user.v1',
  system: 'google',
  label: 'Google Workspace',
  factor: '2SV',
  fields: z.object({
    primaryEmail: z.string(),
    isAdmin: z.boolean(),
    isDelegatedAdmin: z.boolean(),
    suspended: z.boolean(),
    archived: z.boolean(),
    isEnrolledIn2Sv: z.boolean(),
    lastLoginTime: z.string().nullable(),
  }),
  facts: (_subject, u) => ({
    accountId: u.primaryEmail,
    emails: [u.primaryEmail],
    mfa: u.isEnrolledIn2Sv,
    active: !u.suspended && !u.archived,
    privileged: u.isAdmin || u.isDelegatedAdmin,
    lastSignIn: u.lastLoginTime,
  }),
});

/** The HR roster (any `people.roster.v1` source, such as a `type: file` import): defines who the people are. */
const rosterEntry = defineAccountSource({
  kind: 'people.roster.v1',
  system: 'roster',
  label: 'HR roster',
  factor: '',
  definesPeople: true,
  fields: z.object({ email: z.string() }),
  facts: (_subject, r) => ({ accountId: r.email, emails: [r.email] }),
});

const knowbe4User = defineAccountSource({
  kind: 'knowbe4.user.v1',
  system: 'knowbe4',
  label: 'KnowBe4',
  factor: '',
  fields: z.object({ email: z.string(), status: z.string(), lastSignIn: z.string().nullable() }),
  facts: (_subject, u) => ({ accountId: u.email, emails: [u.email], active: u.status === 'active', lastSignIn: u.lastSignIn }),
});

const jiraUser = defineAccountSource({
  kind: 'jira.user.v1',
  system: 'jira',
  label: 'Jira',
  factor: '',
  // App and customer accounts are accounts too: one nobody answers for is listed as unmatched (alias it to its owner).
  fields: z.object({ accountId: z.string(), email: z.string().nullable(), active: z.boolean() }),
  facts: (_subject, u) => ({ accountId: u.accountId, emails: u.email ? [u.email] : [], active: u.active }),
});

/** IAM users: named after the person's username, so matched to the one known email with that local part (or by alias `aws:<account>/<user>`). */
const awsIamUser = defineAccountSource({
  kind: 'aws.iam_user.v1',
  system: 'aws',
  label: 'AWS',
  factor: 'MFA',
  fields: z.object({ account: z.string(), userName: z.string(), consoleAccess: z.boolean(), mfaActive: z.boolean(), lastActivity: z.string().nullable() }),
  facts: (_subject, u) => ({
    accountId: `${u.account}/${u.userName}`,
    username: u.userName,
    mfa: u.mfaActive,
    interactive: u.consoleAccess,
    lastSignIn: u.lastActivity,
  }),
});

/**
 * Every kind the identity index reads: the HR roster (`definesPeople`) and every system's accounts.
 */
export const accountSources: readonly AccountSource[] = [githubMember, entraUser, entraMfa, googleUser, awsIamUser, rosterEntry, knowbe4User, jiraUser];
