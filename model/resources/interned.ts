// One string for equal strings that many long-lived objects hold (resource ids kept by every index, the values a
// thousand manifests repeat: apiVersions, kinds, groups, namespaces, enum values). Looked up as a property name,
// a string is internalized by V8 — one copy per distinct text, in V8's string table, which forgets a string once
// nothing holds it (so nothing piles up as objects come and go) — and the string looked up becomes a reference to
// that copy, which the next collection follows: every holder then shares it. No table of ours, no lookup to undo.

/** Never written: its property lookups internalize their key. */
const LOOKED_UP: Readonly<Record<string, unknown>> = Object.create(null);

/** `text`, shared with every equal string internalized before it once the next collection has run. */
export function interned(text: string): string {
  LOOKED_UP[text];
  return text;
}
