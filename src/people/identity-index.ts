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
  // Accounts are built and merged by assignment, one object each until the output: copying them
  // through entry lists and spreads took ~100 ms for 4,600 GitHub members (the store-reads bench).
  const accounts = new Map<string, IndexedAccount>();
  // Accounts first described by a roster kind: the people, when a roster is present.
  const rosterAccounts = new Set<IndexedAccount>();
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
      if (existing) {
        const emails = [...(existing.emails ?? []), ...(facts.emails ?? [])];
        assignDefined(existing, facts);
        existing.emails = emails;
        if (!existing.kinds.includes(set.kind)) existing.kinds.push(set.kind);
      } else {
        const account = assignDefined({} as IndexedAccount, facts);
        account.system = source.system;
        account.label = source.label;
        account.factor = source.factor;
        account.instanceId = set.instanceId;
        account.kinds = [set.kind];
        accounts.set(key, account);
        if (source.definesPeople === true) rosterAccounts.add(account);
      }
    }
  }

  const all = [...accounts.values()];
  for (const a of all) if (a.emails) a.emails = [...new Set(a.emails.map((e) => e.toLowerCase()))];
  const rosterPresent = rosterAccounts.size > 0;
  const emailOf = (a: IndexedAccount) => a.emails?.find((e) => e.includes('@'));
  const aliasOf = (a: IndexedAccount) =>
    aliases.size === 0 ? undefined : (aliases.get(`${a.instanceId}:${a.accountId}`.toLowerCase()) ?? aliases.get(`${a.system}:${a.accountId}`.toLowerCase()));

  // Who counts as a person: the roster when there is one, else every vouched-for or aliased email.
  const known = new Set<string>();
  for (const a of rosterPresent ? rosterAccounts : all) {
    const email = aliasOf(a) ?? emailOf(a);
    if (email) known.add(email);
  }
  const byLocalPart = new Map<string, string[]>();
  for (const email of known) {
    const local = email.split('@')[0]!;
    const emails = byLocalPart.get(local);
    if (emails) emails.push(email);
    else byLocalPart.set(local, [email]);
  }

  const people = new Map<string, PersonEntry>();
  const unmatched: UnmatchedAccount[] = [];
  for (const a of all) {
    const alias = aliasOf(a);
    const own = alias ? undefined : emailOf(a);
    const byUsername = a.username ? byLocalPart.get(a.username.toLowerCase()) : undefined;
    const email = alias || own || (byUsername?.length === 1 ? byUsername[0] : undefined);
    if (!email) {
      const reason =
        byUsername && byUsername.length > 1
          ? `username ${a.username} matches several people (${byUsername.join(', ')}); add a people.aliases entry`
          : a.username
            ? `username ${a.username} is no known person's email name and there is no people.aliases entry ${a.system}:${a.accountId}`
            : `no email visible and no people.aliases entry ${a.system}:${a.accountId}`;
      unmatched.push({ ...a, reason });
      continue;
    }
    if (rosterPresent && !known.has(email)) {
      unmatched.push({ ...a, reason: `${email} is not on the roster` });
      continue;
    }
    const matchedBy: MatchedBy = alias ? 'alias' : own ? 'email' : 'username';
    let person = people.get(email);
    if (!person) people.set(email, (person = { email, onRoster: rosterPresent ? true : null, accounts: [] }));
    person.accounts.push({ ...a, matchedBy });
  }
  const accountOrder = (x: IndexedAccount, y: IndexedAccount) =>
    collateDistinct(x.system, y.system) || collateDistinct(x.instanceId, y.instanceId) || collateDistinct(x.accountId, y.accountId);
  return {
    people: [...people.values()].sort((x, y) => collate(x.email, y.email)).map((p) => ({ ...p, accounts: p.accounts.sort(accountOrder) })),
    unmatched: unmatched.sort(accountOrder),
    unreadable,
  };
}

/** {@link collate}, without asking the collator about equal strings (most systems and instances are). */
function collateDistinct(x: string, y: string): number {
  return x === y ? 0 : collate(x, y);
}

/** Copies the facts a record states onto an account: an undefined field must not overwrite what another kind said. */
function assignDefined<A extends AccountFacts>(account: A, facts: AccountFacts): A {
  const target = account as Record<keyof AccountFacts, unknown>;
  for (const field of Object.keys(facts) as (keyof AccountFacts)[]) if (facts[field] !== undefined) target[field] = facts[field];
  return account;
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
