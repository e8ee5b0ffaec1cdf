/** Process exit codes, documented in the README; cron and CI branch on them. */
export const exitCodes = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  partial: 3,
  /** A `--fail-on` gate matched (coverage statuses, or new failing checks in `run`). */
  gate: 4,
  /** `verify` found tampering (non-zero, distinct from usage errors). */
  verifyFailed: 5,
} as const;
