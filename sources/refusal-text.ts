// Why an object is refused, as the problem list, translate and the log show it: one line however many problems.
/** Problems of one object named in its line; the rest are counted (a route of 1,000 bad header names is one line). */
export const PROBLEMS_NAMED_PER_OBJECT = 10;

/** Why an object is refused, in one bounded line: its first problems, then how many more. */
export function refusalText(problems: readonly string[]): string {
  const named = problems.slice(0, PROBLEMS_NAMED_PER_OBJECT).join('; ');
  const more = problems.length - PROBLEMS_NAMED_PER_OBJECT;
  return more > 0 ? `${named}; and ${more} more` : named;
}
