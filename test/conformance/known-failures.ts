// Conformance tests of the profiles we run that Switchyard does not pass yet, each with its cause. They are
// passed to the suite as --skip-tests (so they show as skipped in the report, not as passing), and
// docs/conformance.md lists every one of them with the same cause (a test checks that it does).
export const KNOWN_FAILURES: Readonly<Record<string, string>> = {};
