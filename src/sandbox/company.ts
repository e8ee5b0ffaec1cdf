/**
 * The synthetic company that every sandbox fake (GitHub today; Entra ID,
 * Google Workspace, KnowBe4 and HR exports later) is derived from.
 *
 * It is deliberately connector-agnostic: it describes people and their
 * employment, not any system's accounts. Each fake maps these people onto
 * its own identities (the GitHub fake uses {@link Person.githubLogin}), so
 * cross-system checks (e.g. "every GitHub member is a current employee")
 * can be exercised against one consistent population.
 *
 * The output is a pure function of `(scale, now, seed)`.
 */
import { SeededRandom } from './random.js';
import { DAY_MS, isoDate, isoSeconds } from './time.js';

/** Departments of the synthetic company. */
export const DEPARTMENTS = [
  'Engineering',
  'Sales',
  'Support',
  'Finance',
  'People',
  'Security',
  'Marketing',
] as const;

/** One of {@link DEPARTMENTS}. */
export type Department = (typeof DEPARTMENTS)[number];

/** `active` people currently work here; `leaver`s have an `endDate` in the past. */
export type EmploymentStatus = 'active' | 'leaver';

/** Contractors are people too (they appear in HR exports), but GitHub treats them as outside collaborators. */
export type EmploymentType = 'employee' | 'contractor';

/** A person in the synthetic company. */
export interface Person {
  /** Stable HR identifier, e.g. `E00042`; assigned in start-date order. */
  id: string;
  firstName: string;
  lastName: string;
  /** `First Last`. */
  displayName: string;
  /** Corporate username, also the local part of the email: `jane.doe`. */
  username: string;
  /** `jane.doe@acme.example`. */
  email: string;
  department: Department;
  title: string;
  /** {@link Person.id} of the manager; `null` only for the CEO. */
  managerId: string | null;
  location: string;
  employmentType: EmploymentType;
  status: EmploymentStatus;
  /** First working day, `YYYY-MM-DD`. */
  startDate: string;
  /** Last working day for leavers (`YYYY-MM-DD`), otherwise `null`. */
  endDate: string | null;
  /** GitHub handle if the person has (or had) a GitHub account used for work. */
  githubLogin: string | null;
}

/** The whole synthetic company. */
export interface SyntheticCompany {
  name: string;
  /** Email / SSO domain, `acme.example`. */
  domain: string;
  /** GitHub organization login. */
  githubOrg: string;
  /** Inputs the company was generated from (kept so derived fakes can reuse them). */
  seed: number;
  scale: number;
  /** The generator's clock, ISO-8601 UTC without milliseconds. */
  now: string;
  /** Founding date, `YYYY-MM-DD`. */
  foundedOn: string;
  /** Departments present, in a fixed order. */
  departments: readonly Department[];
  /** Everyone who works or worked here, sorted by {@link Person.id}. */
  people: Person[];
}

/** Inputs of {@link createSyntheticCompany}. */
export interface SyntheticCompanyOptions {
  /** Size multiplier; 1 ≈ 200 people. Must be > 0. Default 1. */
  scale?: number;
  /** The clock everything is relative to (start/end dates, later PRs and alerts). */
  now: Date;
  /** PRNG seed. Default 42. */
  seed?: number;
}

const COMPANY_NAME = 'Acme Robotics';
const COMPANY_DOMAIN = 'acme.example';
const GITHUB_ORG = 'acme';
/** How long ago the company was founded. */
const COMPANY_AGE_DAYS = 8 * 365;

/** Share of headcount per department; sums to 1. */
const DEPARTMENT_SHARE: Record<Department, number> = {
  Engineering: 0.45,
  Sales: 0.16,
  Support: 0.13,
  Finance: 0.06,
  People: 0.05,
  Security: 0.05,
  Marketing: 0.1,
};

interface DepartmentTitles {
  head: string;
  lead: string;
  ics: readonly string[];
}

const TITLES: Record<Department, DepartmentTitles> = {
  Engineering: {
    head: 'Chief Technology Officer',
    lead: 'Engineering Manager',
    ics: [
      'Software Engineer',
      'Senior Software Engineer',
      'Staff Software Engineer',
      'Robotics Engineer',
      'Firmware Engineer',
      'Embedded Systems Engineer',
      'Site Reliability Engineer',
      'Machine Learning Engineer',
      'Data Engineer',
      'QA Engineer',
    ],
  },
  Security: {
    head: 'Chief Information Security Officer',
    lead: 'Security Engineering Manager',
    ics: ['Security Engineer', 'Senior Security Engineer', 'Application Security Engineer', 'GRC Analyst'],
  },
  Sales: {
    head: 'VP of Sales',
    lead: 'Sales Manager',
    ics: ['Account Executive', 'Senior Account Executive', 'Sales Development Representative', 'Solutions Engineer'],
  },
  Support: {
    head: 'Head of Customer Support',
    lead: 'Support Team Lead',
    ics: ['Customer Support Specialist', 'Technical Support Engineer', 'Field Service Technician'],
  },
  Finance: {
    head: 'Chief Financial Officer',
    lead: 'Finance Manager',
    ics: ['Financial Analyst', 'Accountant', 'Payroll Specialist', 'Procurement Specialist'],
  },
  People: {
    head: 'Head of People',
    lead: 'People Partner Lead',
    ics: ['People Partner', 'Recruiter', 'People Operations Specialist'],
  },
  Marketing: {
    head: 'VP of Marketing',
    lead: 'Marketing Manager',
    ics: ['Product Marketing Manager', 'Content Marketer', 'Growth Marketer', 'Designer', 'Web Developer'],
  },
};

/** Non-engineering titles whose holders also work on GitHub (the marketing site). */
const GITHUB_USING_TITLES: ReadonlySet<string> = new Set(['Web Developer']);

const LOCATIONS = ['Austin', 'Austin', 'Munich', 'Toronto', 'Remote (US)', 'Remote (EU)'] as const;

const FIRST_NAMES = [
  'Aisha', 'Alejandro', 'Amara', 'Anders', 'Ananya', 'Ben', 'Carla', 'Chen', 'Chloe', 'Daniel',
  'Dmitri', 'Elena', 'Emeka', 'Emma', 'Farah', 'Felix', 'Grace', 'Hana', 'Hugo', 'Ines',
  'Isaac', 'Jamal', 'Jane', 'Javier', 'Jin', 'Julia', 'Kai', 'Kenji', 'Laila', 'Lars',
  'Leah', 'Lena', 'Lucas', 'Maya', 'Mateo', 'Mei', 'Mohammed', 'Nadia', 'Noah', 'Nora',
  'Olga', 'Omar', 'Priya', 'Rafael', 'Rosa', 'Ruth', 'Samir', 'Sara', 'Sofia', 'Tariq',
  'Thomas', 'Tomas', 'Uma', 'Victor', 'Wei', 'Yara', 'Yusuf', 'Zara', 'Zoe', 'Kwame',
] as const;

const LAST_NAMES = [
  'Adeyemi', 'Alvarez', 'Andersen', 'Bauer', 'Becker', 'Brown', 'Chen', 'Costa', 'Dubois', 'Doe',
  'Eriksson', 'Fischer', 'Garcia', 'Gupta', 'Haddad', 'Hansen', 'Hoffmann', 'Ibrahim', 'Ito', 'Jensen',
  'Kim', 'Kowalski', 'Kumar', 'Larsen', 'Lee', 'Lopez', 'Martin', 'Meyer', 'Moreau', 'Mueller',
  'Nakamura', 'Nguyen', 'Novak', 'Okafor', 'Olsen', 'Patel', 'Perez', 'Petrov', 'Rossi', 'Santos',
  'Schmidt', 'Silva', 'Singh', 'Smith', 'Sousa', 'Suzuki', 'Tanaka', 'Taylor', 'Torres', 'Wagner',
  'Walker', 'Wang', 'Weber', 'Williams', 'Wilson', 'Yamamoto', 'Yilmaz', 'Zhang', 'Zielinski', 'Osei',
] as const;

/** Draft person before ids (which depend on the final start-date order) are assigned. */
interface Draft {
  key: number;
  firstName: string;
  lastName: string;
  nameSuffix: number;
  department: Department;
  title: string;
  role: 'ceo' | 'head' | 'lead' | 'ic';
  managerKey: number | null;
  location: string;
  employmentType: EmploymentType;
  startMs: number;
  endMs: number | null;
}

/**
 * Builds the synthetic company "Acme Robotics".
 *
 * About `200 * scale` people across {@link DEPARTMENTS} (Engineering ≈ 45 %),
 * with a CEO → department head → team lead → individual contributor
 * hierarchy, ~3 % leavers (end date within the last 90 days) and
 * `round(8 * scale)` engineering contractors. Engineers, security staff and a
 * few GitHub-using roles in other departments get a GitHub login.
 *
 * @param options - `now` is required; `scale` defaults to 1, `seed` to 42.
 * @returns a new object each call; same inputs give deep-equal output.
 */
export function createSyntheticCompany(options: SyntheticCompanyOptions): SyntheticCompany {
  const scale = options.scale ?? 1;
  const seed = options.seed ?? 42;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`scale must be a positive number, got ${scale}`);
  const nowMs = Math.floor(options.now.getTime() / 1000) * 1000;
  if (Number.isNaN(nowMs)) throw new RangeError('now must be a valid Date');

  const rng = new SeededRandom(seed).fork('company');
  const foundedMs = nowMs - COMPANY_AGE_DAYS * DAY_MS;
  const total = Math.max(30, Math.round(200 * scale));

  const drafts = buildHierarchy(rng.fork('hierarchy'), total, Math.round(8 * scale), nowMs, foundedMs);
  assignNames(rng.fork('names'), drafts);
  const leaverKeys = chooseLeavers(rng.fork('leavers'), drafts, nowMs);

  // Ids follow start-date order, like an HR system that numbers hires sequentially.
  const ordered = drafts
    .slice()
    .sort((a, b) => a.startMs - b.startMs || a.key - b.key);
  const idByKey = new Map<number, string>();
  ordered.forEach((d, i) => idByKey.set(d.key, `E${String(i + 1).padStart(5, '0')}`));

  const githubRng = rng.fork('github-logins');
  const usedUsernames = new Set<string>();
  const usedGithub = new Set<string>();
  const people: Person[] = ordered.map((d) => {
    const base = `${ascii(d.firstName)}.${ascii(d.lastName)}`;
    const username = d.nameSuffix > 0 ? `${base}${d.nameSuffix + 1}` : base;
    if (usedUsernames.has(username)) throw new Error(`duplicate username ${username}`);
    usedUsernames.add(username);
    const endMs = leaverKeys.get(d.key) ?? null;
    const usesGithub =
      d.department === 'Engineering' || d.department === 'Security' || GITHUB_USING_TITLES.has(d.title);
    return {
      id: idByKey.get(d.key) as string,
      firstName: d.firstName,
      lastName: d.lastName,
      displayName: `${d.firstName} ${d.lastName}`,
      username,
      email: `${username}@${COMPANY_DOMAIN}`,
      department: d.department,
      title: d.title,
      managerId: d.managerKey === null ? null : (idByKey.get(d.managerKey) ?? null),
      location: d.location,
      employmentType: d.employmentType,
      status: endMs === null ? 'active' : 'leaver',
      startDate: isoDate(d.startMs),
      endDate: endMs === null ? null : isoDate(endMs),
      githubLogin: usesGithub ? githubLoginFor(githubRng, d, usedGithub) : null,
    };
  });

  return {
    name: COMPANY_NAME,
    domain: COMPANY_DOMAIN,
    githubOrg: GITHUB_ORG,
    seed,
    scale,
    now: isoSeconds(nowMs),
    foundedOn: isoDate(foundedMs),
    departments: DEPARTMENTS,
    people,
  };
}

/** Lays out departments, titles, reporting lines, locations and start dates. */
function buildHierarchy(
  rng: SeededRandom,
  total: number,
  contractorCount: number,
  nowMs: number,
  foundedMs: number,
): Draft[] {
  // Exact per-department headcounts (floor, remainder to Engineering) so that
  // proportions do not drift with the seed.
  const counts = new Map<Department, number>();
  let assigned = 0;
  for (const dept of DEPARTMENTS) {
    const n = Math.max(2, Math.floor(total * DEPARTMENT_SHARE[dept]));
    counts.set(dept, n);
    assigned += n;
  }
  counts.set('Engineering', (counts.get('Engineering') ?? 0) + Math.max(0, total - assigned));

  const drafts: Draft[] = [];
  const daysAgo = (min: number, max: number): number => nowMs - rng.int(min, max) * DAY_MS;
  const afterFounding = (minDays: number, maxDays: number): number =>
    Math.min(foundedMs + rng.int(minDays, maxDays) * DAY_MS, nowMs - 14 * DAY_MS);

  const add = (d: Omit<Draft, 'key' | 'firstName' | 'lastName' | 'nameSuffix'>): Draft => {
    const draft: Draft = { ...d, key: drafts.length, firstName: '', lastName: '', nameSuffix: 0 };
    drafts.push(draft);
    return draft;
  };

  // The founder-CEO is counted in Engineering: Acme is an engineering-led
  // robotics company and the CEO is also a GitHub org owner.
  const ceo = add({
    department: 'Engineering',
    title: 'Chief Executive Officer',
    role: 'ceo',
    managerKey: null,
    location: 'Austin',
    employmentType: 'employee',
    startMs: foundedMs,
    endMs: null,
  });

  let contractorsLeft = contractorCount;
  for (const dept of DEPARTMENTS) {
    const titles = TITLES[dept];
    let remaining = (counts.get(dept) ?? 0) - (dept === 'Engineering' ? 1 : 0);
    const head = add({
      department: dept,
      title: titles.head,
      role: 'head',
      managerKey: ceo.key,
      location: 'Austin',
      employmentType: 'employee',
      startMs: afterFounding(0, 500),
      endMs: null,
    });
    remaining -= 1;
    // One lead per ~9 people once a department is big enough to need them.
    const leadCount = remaining >= 10 ? Math.round(remaining / 9) : 0;
    const leads: Draft[] = [];
    for (let i = 0; i < leadCount; i++) {
      leads.push(
        add({
          department: dept,
          title: titles.lead,
          role: 'lead',
          managerKey: head.key,
          location: rng.pick(LOCATIONS),
          employmentType: 'employee',
          startMs: afterFounding(90, 1800),
          endMs: null,
        }),
      );
      remaining -= 1;
    }
    for (let i = 0; i < remaining; i++) {
      const manager = leads.length > 0 ? (leads[i % leads.length] as Draft) : head;
      const contractor = dept === 'Engineering' && contractorsLeft > 0;
      if (contractor) contractorsLeft -= 1;
      add({
        department: dept,
        title: contractor ? 'Contract Software Engineer' : rng.pick(titles.ics),
        role: 'ic',
        managerKey: manager.key,
        location: rng.pick(LOCATIONS),
        employmentType: contractor ? 'contractor' : 'employee',
        // Contractors are recent engagements; employees joined any time since founding.
        startMs: contractor ? daysAgo(30, 540) : afterFounding(200, COMPANY_AGE_DAYS - 7),
        endMs: null,
      });
    }
  }
  return drafts;
}

/** Gives every draft a unique first/last name combination (suffixing only if combinations run out). */
function assignNames(rng: SeededRandom, drafts: Draft[]): void {
  const combos = FIRST_NAMES.length * LAST_NAMES.length;
  const order = rng.shuffle(Array.from({ length: combos }, (_, i) => i));
  drafts.forEach((d, i) => {
    const combo = order[i % combos] as number;
    d.firstName = FIRST_NAMES[Math.floor(combo / LAST_NAMES.length)] as string;
    d.lastName = LAST_NAMES[combo % LAST_NAMES.length] as string;
    d.nameSuffix = Math.floor(i / combos);
  });
}

/**
 * Picks ~3 % of individual-contributor employees as leavers (never managers,
 * so reporting lines stay valid). Returns end timestamps by draft key.
 */
function chooseLeavers(rng: SeededRandom, drafts: Draft[], nowMs: number): Map<number, number> {
  const eligible = drafts.filter(
    (d) => d.role === 'ic' && d.employmentType === 'employee' && d.startMs <= nowMs - 180 * DAY_MS,
  );
  const count = Math.max(2, Math.round(drafts.length * 0.03));
  const out = new Map<number, number>();
  for (const d of rng.sample(eligible, count)) out.set(d.key, nowMs - rng.int(3, 90) * DAY_MS);
  return out;
}

/** Lowercase ASCII version of a name for logins. */
function ascii(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

/**
 * A plausible personal GitHub handle. GitHub logins are chosen by people, not
 * derived from the corporate directory, so several styles are mixed; this is
 * what makes identity matching between systems non-trivial.
 */
function githubLoginFor(rng: SeededRandom, d: Draft, used: Set<string>): string {
  const f = ascii(d.firstName);
  const l = ascii(d.lastName);
  const styles =
    d.employmentType === 'contractor'
      ? [`${f}${l}-dev`, `${f[0]}${l}-consulting`, `${f}-${l}-codes`]
      : [`${f}${l}`, `${f[0]}${l}`, `${f}-${l}`, `${l}${f[0]}`, `${f}${l[0]}${rng.int(10, 99)}`, `${f}-acme`];
  const first = rng.int(0, styles.length - 1);
  for (let attempt = 0; attempt < styles.length; attempt++) {
    const candidate = (styles[(first + attempt) % styles.length] as string).slice(0, 39);
    if (!used.has(candidate)) {
      used.add(candidate);
      return candidate;
    }
  }
  // All styles taken: number the first style until free.
  const base = (styles[first] as string).slice(0, 34);
  for (let n = 2; ; n++) {
    const candidate = `${base}${n}`;
    if (!used.has(candidate)) {
      used.add(candidate);
      return candidate;
    }
  }
}
