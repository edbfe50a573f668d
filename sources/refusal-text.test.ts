import { describe, expect, it } from 'vitest';
import { PROBLEMS_NAMED_PER_OBJECT, refusalText } from './refusal-text.ts';

describe('refusalText', () => {
  it("names an object's first problems and counts the rest, so one object is one bounded line", () => {
    const problems = Array.from(
      { length: 1000 },
      (_, i) => `spec.rules[0].matches[0].headers[${i}].name: bad`,
    );
    const text = refusalText(problems);
    expect(text.split('; ')).toHaveLength(PROBLEMS_NAMED_PER_OBJECT + 1);
    expect(text).toMatch(/^spec\.rules\[0\]\.matches\[0\]\.headers\[0\]\.name: bad; .*; and 990 more$/);
    expect(refusalText(problems.slice(0, 2))).toBe(`${problems[0]}; ${problems[1]}`);
  });
});
