import { z } from 'zod';
import { defineCheck, type CheckInput, type CheckResult, type EvidenceSet } from './check.js';
import { accountSources } from '../people/sources.js';
import { buildIdentityIndex, describeAccount, type IdentityIndex, type IndexedAccount } from '../people/identity-index.js';

/**
 * Checks over the identity index: one view of each person across every identity system.
 * They read every source kind from every instance (`across-instances`); none is required on its
 * own, so an organisation without Google still gets them over the systems it has.
 */

const peopleKinds = accountSources.map((s) => s.kind);

/** Parameters of every `people.*` check; `aliases` comes from `people.aliases` in annexa.yaml. */
export const peopleCheckParams = z
  .strictObject({
    aliases: z.record(z.string(), z.string()).default({}).describe('people.aliases, handed to the check by the config loader.'),
  })
  .default({ aliases: {} });
type PeopleParams = z.output<typeof peopleCheckParams>;

/**
 * The index a people check judges, built from the check's input. The runner hands the people checks
 * of one evaluation the same sets, so the index is built once for them (it is a pure function of
 * the sets and the aliases, and checks only read it); kept weakly, so it goes with the sets.
 */
export function identityIndexOf(input: Pick<CheckInput<PeopleParams>, 'sets' | 'params'>): IdentityIndex {
  const sets = input.sets ?? [];
  const aliases = JSON.stringify(input.params.aliases);
  let bySets = builtIndexes.get(sets);
  if (!bySets) builtIndexes.set(sets, (bySets = new Map()));
  let index = bySets.get(aliases);
  if (!index) bySets.set(aliases, (index = buildIdentityIndex(sets, { sources: accountSources, aliases: input.params.aliases })));
  return index;
}
const builtIndexes = new WeakMap<readonly EvidenceSet[], Map<string, IdentityIndex>>();

/** `github:github-acme:octocat`: unique across systems and instances. */
export function accountSubject(a: IndexedAccount): string {
  return `${a.system}:${a.instanceId}:${a.accountId}`;
}

export const accountsLinkedToPeople = defineCheck({
  id: 'people.accounts.linked_to_a_person',
  title: 'Every account is linked to a known person',
  description:
    'Each account in every identity system (Entra ID, Google Workspace, GitHub) is linked to a person by an email the system vouches for or a people.aliases entry. An account that matches no one is listed for review (warn): link it with an alias or remove it.',
  kinds: peopleKinds,
  optionalKinds: peopleKinds,
  scope: 'across-instances',
  params: peopleCheckParams,
  evaluate: (input) => {
    const index = identityIndexOf(input);
    const results: CheckResult[] = [];
    for (const person of index.people) {
      for (const a of person.accounts) {
        results.push({ subject: accountSubject(a), status: 'pass', message: `${a.label} account linked to ${person.email} by ${a.matchedBy}` });
      }
    }
    for (const a of index.unmatched) {
      // Needs a human: link it (people.aliases) or remove it. Not a fail on its own: a GitHub-only
      // organisation would otherwise fail for every member whose email GitHub does not show.
      results.push({ subject: accountSubject(a), status: 'warn', message: `${a.label} account matches no one: ${a.reason}` });
    }
    for (const u of index.unreadable) {
      results.push({ subject: `${u.instanceId}:${u.subject}`, status: 'error', message: `${u.kind} record has a shape the identity index cannot read` });
    }
    return results;
  },
});

export const secondFactorEverywhere = defineCheck({
  id: 'people.second_factor.everywhere',
  title: 'Every person uses a second factor in every system',
  description:
    'Per person, every active linked account that signs in interactively has MFA registered (Entra ID), 2-Step Verification enrolled (Google), 2FA enabled (GitHub) or an MFA device (AWS console users). One system without a second factor is a way in.',
  kinds: peopleKinds,
  optionalKinds: peopleKinds,
  scope: 'across-instances',
  params: peopleCheckParams,
  evaluate: (input) =>
    identityIndexOf(input).people.flatMap((person): CheckResult[] => {
      // Disabled accounts and programmatic-only ones (no interactive sign-in) have no sign-in to guard.
      const active = person.accounts.filter((a) => a.active !== false && a.interactive !== false && a.factor);
      if (active.length === 0) return [];
      const summary = active.map(describeAccount).join(', ');
      const without = active.filter((a) => a.mfa === false);
      if (without.length > 0) {
        return [{ subject: person.email, status: 'fail', message: `no second factor in ${without.map((a) => a.label).join(', ')}: ${summary}` }];
      }
      const unknown = active.filter((a) => a.mfa === null || a.mfa === undefined);
      if (unknown.length > 0) {
        return [{ subject: person.email, status: 'error', message: `second factor not visible in ${unknown.map((a) => a.label).join(', ')}: ${summary}` }];
      }
      return [{ subject: person.email, status: 'pass', message: summary }];
    }),
});

export const peopleChecks = [accountsLinkedToPeople, secondFactorEverywhere] as const;
