import { stringify } from 'csv-stringify/sync';
import type { UnavailableInput } from '../checks/check.js';
import { describeAccount, type IdentityIndex, type IndexedAccount, type PersonEntry } from './identity-index.js';
import { table } from '../cli/table.js';

/** What `annexa people` shows: the index and the inputs that were not current. */
export interface PeopleView {
  asOf: string;
  index: IdentityIndex;
  /** Evidence withheld because it is stale or its last collection failed. */
  unavailable: readonly UnavailableInput[];
}

const column = (a: IndexedAccount) => (a.factor ? `${a.label} ${a.factor}` : a.label);

/** One cell: `yes`, `no (admin)`, `unknown`; two accounts in one system are joined with `; `. */
function cell(accounts: readonly IndexedAccount[]): string {
  return accounts.map((a) => describeAccount(a).slice(column(a).length).trim() || 'yes').join('; ');
}

/** A table with one row per person and one column per system, then the unmatched accounts. */
export function renderPeopleTable(view: PeopleView): string {
  const columns = [...new Set(view.index.people.flatMap((p) => p.accounts.map(column)))].sort();
  const rows = view.index.people.map((p: PersonEntry) => [p.email, ...columns.map((c) => cell(p.accounts.filter((a) => column(a) === c)) || '-')]);
  let out = `People as of ${view.asOf}: ${view.index.people.length} people, ${view.index.unmatched.length} unmatched accounts\n\n`;
  out += table(['person', ...columns], rows);
  if (view.index.unmatched.length > 0) {
    out += '\nUnmatched accounts (linked to no one):\n';
    out += table(
      ['system', 'instance', 'account', 'second factor', 'reason'],
      view.index.unmatched.map((a) => [a.label, a.instanceId, a.accountId, cell([a]), a.reason]),
    );
  }
  out += renderWarnings(view);
  return out;
}

/** Inputs left out, so a reader knows the view is partial. */
export function renderWarnings(view: PeopleView): string {
  const lines = [
    ...view.unavailable.map((u) => `  ${u.instanceId}/${u.kind} left out (${u.status}): ${u.message}\n`),
    ...view.index.unreadable.map((u) => `  ${u.instanceId}/${u.kind} ${u.subject}: record shape not understood by the identity index\n`),
  ];
  return lines.length ? `\nNot included:\n${lines.join('')}` : '';
}

/** One CSV row per account (linked or not), RFC 4180 (csv-stringify). */
export function renderPeopleCsv(view: PeopleView): string {
  const header = ['person', 'system', 'instance', 'account', 'matched_by', 'second_factor', 'factor', 'active', 'privileged', 'guest', 'last_sign_in', 'unmatched_reason'];
  const flag = (v: boolean | null | undefined) => (v === undefined || v === null ? '' : v ? 'yes' : 'no');
  const row = (person: string, a: IndexedAccount, matchedBy: string, reason: string) => [
    person,
    a.label,
    a.instanceId,
    a.accountId,
    matchedBy,
    a.mfa === undefined || a.mfa === null ? 'unknown' : a.mfa ? 'yes' : 'no',
    a.factor,
    flag(a.active),
    flag(a.privileged),
    flag(a.guest),
    a.lastSignIn ?? '',
    reason,
  ];
  const rows = [
    ...view.index.people.flatMap((p) => p.accounts.map((a) => row(p.email, a, a.matchedBy, ''))),
    ...view.index.unmatched.map((a) => row('', a, '', a.reason)),
  ];
  return stringify([header, ...rows], { record_delimiter: 'windows' });
}
