/**
 * The KnowBe4 world of the sandbox: employees as users (leavers archived), the annual awareness
 * campaigns and the auto-enrolling new-hire course, their enrollments, and phishing tests.
 * Contractors train in the partner LMS instead (see `../exports/`). Seeded findings are listed in
 * {@link knowbe4SeededFindings}; a pure function of the company.
 */
import { SeededRandom } from '../random.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, parseIso } from '../time.js';
import type { Person, SyntheticCompany } from '../company.js';

export interface Kb4User {
  id: number;
  person: Person;
  status: 'active' | 'archived';
  joinedOnMs: number;
  archivedAtMs: number | null;
  lastSignInMs: number | null;
  phishPronePercentage: number;
}

export interface Kb4Campaign {
  campaignId: number;
  name: string;
  status: 'In Progress' | 'Completed' | 'Closed';
  module: string;
  startMs: number;
  endMs: number | null;
  relativeDuration: string | null;
  autoEnroll: boolean;
}

export interface Kb4Enrollment {
  enrollmentId: number;
  user: Kb4User;
  campaign: Kb4Campaign;
  enrolledMs: number;
  startedMs: number | null;
  completedMs: number | null;
  status: 'Passed' | 'In Progress' | 'Not Started' | 'Past Due';
}

export interface Kb4PhishingTest {
  pstId: number;
  campaignId: number;
  name: string;
  startedMs: number;
  delivered: number;
  clicked: number;
  dataEntered: number;
  reported: number;
}

export interface KnowBe4World {
  users: Kb4User[];
  campaigns: Kb4Campaign[];
  enrollments: Kb4Enrollment[];
  phishingTests: Kb4PhishingTest[];
  /** The concrete people behind each seeded finding (emails). */
  findings: {
    /** Started more than {@link knowbe4SeededFindings.joinerDueDays} days ago, new-hire course not done. */
    joinerWithoutTraining: string[];
    /** Skipped this year's annual campaign: last completion more than 12 months ago. */
    completionOlderThanAYear: string[];
  };
}

export const knowbe4SeededFindings = {
  /** The new-hire course is due this many days after the start date. */
  joinerDueDays: 14,
  /** Last year's campaign ran this many days before now (30 days long). */
  previousAnnualStartDaysAgo: 420,
  /** This year's campaign started this many days before now (30 days long). */
  currentAnnualStartDaysAgo: 90,
} as const;

/** Derives the KnowBe4 world from the company. */
export function createKnowBe4World(company: SyntheticCompany): KnowBe4World {
  const rng = new SeededRandom(company.seed).fork('knowbe4');
  const nowMs = parseIso(company.now);
  const day = (date: string) => parseIso(`${date}T00:00:00Z`);
  const employees = company.people.filter((p) => p.employmentType === 'employee');

  const previous: Kb4Campaign = {
    campaignId: 901,
    name: 'Annual Security Awareness (previous year)',
    status: 'Closed',
    module: 'Security Awareness Training',
    startMs: nowMs - knowbe4SeededFindings.previousAnnualStartDaysAgo * DAY_MS,
    endMs: nowMs - (knowbe4SeededFindings.previousAnnualStartDaysAgo - 30) * DAY_MS,
    relativeDuration: null,
    autoEnroll: false,
  };
  const current: Kb4Campaign = {
    campaignId: 902,
    name: 'Annual Security Awareness',
    status: 'Completed',
    module: 'Security Awareness Training',
    startMs: nowMs - knowbe4SeededFindings.currentAnnualStartDaysAgo * DAY_MS,
    endMs: nowMs - (knowbe4SeededFindings.currentAnnualStartDaysAgo - 30) * DAY_MS,
    relativeDuration: null,
    autoEnroll: false,
  };
  const newHire: Kb4Campaign = {
    campaignId: 903,
    name: 'New Hire Security Basics',
    status: 'In Progress',
    module: 'New Hire Security Basics',
    startMs: day(company.foundedOn),
    endMs: null,
    relativeDuration: '2 weeks',
    autoEnroll: true,
  };

  const users: Kb4User[] = employees.map((person, index) => {
    const start = day(person.startDate);
    const archived = person.endDate === null ? null : day(person.endDate) + DAY_MS + 9 * HOUR_MS;
    return {
      id: 50_000 + index,
      person,
      status: archived === null ? 'active' : 'archived',
      joinedOnMs: start,
      archivedAtMs: archived,
      lastSignInMs: archived ?? nowMs - rng.int(1, 60) * DAY_MS,
      phishPronePercentage: Math.round(rng.float(0, 25) * 10) / 10,
    };
  });

  // Seeded: the most recent joiner whose new-hire course is overdue; a long-tenured employee who skipped this year's campaign.
  const dueMs = knowbe4SeededFindings.joinerDueDays * DAY_MS;
  const joiner = [...users].reverse().find((u) => u.status === 'active' && nowMs - day(u.person.startDate) > 2 * dueMs);
  const skipper = users.find((u) => u.status === 'active' && day(u.person.startDate) < previous.startMs && u.person.managerId !== null);

  const enrollments: Kb4Enrollment[] = [];
  const erng = rng.fork('enrollments');
  const enroll = (user: Kb4User, campaign: Kb4Campaign, enrolledMs: number, complete: boolean, dueAt: number) => {
    const completedMs = complete ? Math.min(enrolledMs + erng.int(1, 10) * DAY_MS + erng.int(0, 480) * MINUTE_MS, nowMs - HOUR_MS) : null;
    enrollments.push({
      enrollmentId: 700_000 + enrollments.length,
      user,
      campaign,
      enrolledMs,
      startedMs: completedMs === null ? null : completedMs - erng.int(20, 60) * MINUTE_MS,
      completedMs,
      status: completedMs !== null ? 'Passed' : dueAt < nowMs ? 'Past Due' : 'Not Started',
    });
  };
  for (const user of users) {
    const start = day(user.person.startDate);
    const end = user.archivedAtMs ?? Number.POSITIVE_INFINITY;
    if (start > newHire.startMs) enroll(user, newHire, start + 9 * HOUR_MS, user !== joiner, start + 9 * HOUR_MS + dueMs);
    for (const campaign of [previous, current]) {
      if (start < campaign.startMs && end > campaign.endMs!) enroll(user, campaign, campaign.startMs, !(campaign === current && user === skipper), campaign.endMs!);
    }
  }

  const phishingTests: Kb4PhishingTest[] = [0, 1, 2].map((i) => {
    const delivered = users.filter((u) => u.status === 'active').length;
    return {
      pstId: 3100 + i,
      campaignId: 4200,
      name: `Quarterly phishing test ${i + 1}`,
      startedMs: nowMs - (80 - i * 30) * DAY_MS,
      delivered,
      clicked: Math.round(delivered * rng.float(0.02, 0.08)),
      dataEntered: Math.round(delivered * rng.float(0, 0.02)),
      reported: Math.round(delivered * rng.float(0.3, 0.6)),
    };
  });

  return {
    users,
    campaigns: [previous, current, newHire],
    enrollments,
    phishingTests,
    findings: {
      joinerWithoutTraining: joiner ? [joiner.person.email] : [],
      completionOlderThanAYear: skipper ? [skipper.person.email] : [],
    },
  };
}
