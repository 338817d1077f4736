/**
 * Whether a run may settle as of a China date: never after today unless future runs are allowed
 * (demo stacks only: as of a later day, T+N payments and reserves would be paid out early).
 * Dates are YYYY-MM-DD, so they compare as strings.
 */
export function asOfRefusal(asOf: string, today: string, futureAllowed: boolean): 'SETTLEMENT_RUN_AS_OF_IN_FUTURE' | undefined {
  return !futureAllowed && asOf > today ? 'SETTLEMENT_RUN_AS_OF_IN_FUTURE' : undefined;
}
