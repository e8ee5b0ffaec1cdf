import type { EvidenceSet } from '../checks/check.js';
import type { AccountFacts, AccountSource } from './sources.js';

/** `localeCompare`'s order at a fraction of its cost (it builds a collator on every call). */
const collate = new Intl.Collator().compare;

/** How an account was linked to its person. */
export type MatchedBy = 'alias' | 'email' | 'username';

/** One account in one connector instance, with the facts merged from every kind describing it. */
export interface IndexedAccount extends AccountFacts {
  system: string;
  label: string;
  factor: string;
  instanceId: string;
  /** The evidence kinds the facts came from. */
  kinds: string[];
}

/** An account linked to a person. */
export interface LinkedAccount extends IndexedAccount {
  matchedBy: MatchedBy;
}

/** An account the index could not link to anyone: listed, never dropped. */
export interface UnmatchedAccount extends IndexedAccount {
  /** Why it matched no one (`no email visible and no people.aliases entry github:octocat`). */
  reason: string;
}

/** One person and every account linked to them. */
export interface PersonEntry {
  /** The person's email (lower case): the key every system is joined on. */
  email: string;
  /** Whether the person is on the roster (`null` when no roster is collected). */
  onRoster: boolean | null;
  accounts: LinkedAccount[];
}

/** The identity index: people by email, and the accounts that match no one. */
export interface IdentityIndex {
  people: PersonEntry[];
  unmatched: UnmatchedAccount[];
  /** Records a source could not read (a payload shape it does not know), by kind. */
  unreadable: { kind: string; instanceId: string; subject: string }[];
}

export interface IdentityIndexOptions {
  sources: readonly AccountSource[];
  /** `people.aliases`: `<system>:<account>` or `<instance id>:<account>` → email. */
  aliases: Readonly<Record<string, string>>;
}

/**
 * Links accounts across systems by email. Order of evidence: an alias in config wins (the
 * customer's explicit statement), then an email the system vouches for, then (for sources that
 * give a username) the unique known email whose local part is that username. A pure function of
 * the evidence sets and the alias table.
 */
export function buildIdentityIndex(sets: readonly EvidenceSet[], options: IdentityIndexOptions): IdentityIndex {
  const sourceByKind = new Map(options.sources.map((s) => [s.kind, s]));
  const aliases = new Map(Object.entries(options.aliases).map(([k, v]) => [k.toLowerCase(), v.toLowerCase()]));
  const accounts = new Map<string, IndexedAccount & { definesPeople: boolean }>();
  const unreadable: IdentityIndex['unreadable'] = [];

  for (const set of sets) {
    const source = sourceByKind.get(set.kind);
    if (!source) continue;
    for (const record of set.records) {
      const facts = source.read(record.subject, record.payload);
      if (!facts) {
        unreadable.push({ kind: set.kind, instanceId: set.instanceId, subject: record.subject });
        continue;
      }
      const key = `${set.instanceId}\u0000${source.system}\u0000${facts.accountId.toLowerCase()}`;
      const existing = accounts.get(key);
      const defined = Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as AccountFacts;
      if (existing) {
        Object.assign(existing, defined, { emails: [...(existing.emails ?? []), ...(facts.emails ?? [])] });
        if (!existing.kinds.includes(set.kind)) existing.kinds.push(set.kind);
      } else {
        accounts.set(key, {
          ...defined,
          system: source.system,
          label: source.label,
          factor: source.factor,
          instanceId: set.instanceId,
          kinds: [set.kind],
          definesPeople: source.definesPeople === true,
        });
      }
    }
  }

  const all = [...accounts.values()];
  const rosterPresent = all.some((a) => a.definesPeople);
  const emailOf = (a: IndexedAccount) => a.emails?.find((e) => e.includes('@'))?.toLowerCase();
  const aliasOf = (a: IndexedAccount) =>
    aliases.get(`${a.instanceId}:${a.accountId}`.toLowerCase()) ?? aliases.get(`${a.system}:${a.accountId}`.toLowerCase());

  // Who counts as a person: the roster when there is one, else every vouched-for or aliased email.
  const known = new Set<string>();
  for (const a of all) {
    if (rosterPresent && !a.definesPeople) continue;
    const email = aliasOf(a) ?? emailOf(a);
    if (email) known.add(email);
  }
  const byLocalPart = new Map<string, string[]>();
  for (const email of known) {
    const local = email.split('@')[0]!;
    byLocalPart.set(local, [...(byLocalPart.get(local) ?? []), email]);
  }

  const people = new Map<string, PersonEntry>();
  const unmatched: UnmatchedAccount[] = [];
  const strip = ({ definesPeople: _ignored, ...account }: IndexedAccount & { definesPeople: boolean }): IndexedAccount => ({
    ...account,
    ...(account.emails ? { emails: [...new Set(account.emails.map((e) => e.toLowerCase()))] } : {}),
  });
  for (const a of all) {
    const alias = aliasOf(a);
    const own = emailOf(a);
    const byUsername = a.username ? byLocalPart.get(a.username.toLowerCase()) : undefined;
    let email: string | undefined;
    let matchedBy: MatchedBy | undefined;
    if (alias) [email, matchedBy] = [alias, 'alias'];
    else if (own) [email, matchedBy] = [own, 'email'];
    else if (byUsername?.length === 1) [email, matchedBy] = [byUsername[0]!, 'username'];

    if (!email || !matchedBy) {
      const reason =
        byUsername && byUsername.length > 1
          ? `username ${a.username} matches several people (${byUsername.join(', ')}); add a people.aliases entry`
          : a.username
            ? `username ${a.username} is no known person's email name and there is no people.aliases entry ${a.system}:${a.accountId}`
            : `no email visible and no people.aliases entry ${a.system}:${a.accountId}`;
      unmatched.push({ ...strip(a), reason });
      continue;
    }
    if (rosterPresent && !known.has(email)) {
      unmatched.push({ ...strip(a), reason: `${email} is not on the roster` });
      continue;
    }
    const person = people.get(email) ?? { email, onRoster: rosterPresent ? true : null, accounts: [] };
    person.accounts.push({ ...strip(a), matchedBy });
    people.set(email, person);
  }
  const accountOrder = (x: IndexedAccount, y: IndexedAccount) =>
    collate(x.system, y.system) || collate(x.instanceId, y.instanceId) || collate(x.accountId, y.accountId);
  return {
    people: [...people.values()].sort((x, y) => collate(x.email, y.email)).map((p) => ({ ...p, accounts: p.accounts.sort(accountOrder) })),
    unmatched: unmatched.sort(accountOrder),
    unreadable,
  };
}

/** `jane@acme.example: Entra ID MFA yes, Google Workspace 2SV no, GitHub 2FA yes (owner)`. */
export function describePerson(person: PersonEntry): string {
  return `${person.email}: ${person.accounts.map(describeAccount).join(', ')}`;
}

/** `Google Workspace 2SV no (suspended)`. */
export function describeAccount(a: IndexedAccount): string {
  const mfa = a.mfa === undefined || a.mfa === null ? 'unknown' : a.mfa ? 'yes' : 'no';
  const notes = [a.active === false ? 'disabled' : null, a.interactive === false ? 'access keys only' : null, a.guest ? 'guest' : null, a.privileged ? 'admin' : null].filter(Boolean);
  // A source without a second factor (an HR roster) just says the person is there.
  const factor = a.factor ? ` ${a.factor} ${mfa}` : '';
  return `${a.label}${factor}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}
