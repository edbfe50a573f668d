// Regular expressions as Envoy's RE2 reads them. JavaScript's RegExp accepts look-around and back-references that
// RE2 refuses, and refuses `\C` or `(?P<name>…)` that RE2 accepts: Envoy then NACKs the whole route configuration.
// Google's RE2 itself (compiled to WebAssembly, package re2-wasm) parses and compiles every regex we hand a data
// plane, and its program size — the number of instructions Envoy's `re2.max_program_size.error_level` bounds —
// is read from the compiled program.
import { createRequire } from 'node:module';

/**
 * The program-size limit the Envoy bootstrap sets (`re2.max_program_size.error_level`; Envoy's default is 100,
 * which refuses `^/v1/(users|accounts)/[0-9a-f-]{36}$` at 128) and a regex is checked against.
 */
export const RE2_MAX_PROGRAM_SIZE = 1000;

interface WrappedRE2 {
  ok(): boolean;
  error(): string;
  delete(): void;
  readonly $$: { readonly ptr: number };
}

interface Re2Module {
  readonly WrappedRE2: new (
    pattern: string,
    ignoreCase: boolean,
    multiline: boolean,
    dotAll: boolean,
  ) => WrappedRE2;
  readonly HEAP32: Int32Array;
  readonly HEAPU32: Uint32Array;
}

const require = createRequire(import.meta.url);
const RE2_WASM = require.resolve('re2-wasm/build/wasm/re2.js');

/**
 * A fresh instance of the module. Its heap is fixed at 16 MiB: a pattern whose UTF-8 program needs more (`\pL{0,100}`)
 * aborts the instance, which is then loaded anew. Its error printer is `console.warn` as it was while it loaded: a
 * silent one, so the abort's message stays off stderr (the verdict says it).
 */
function loadRe2(): Re2Module {
  delete require.cache[RE2_WASM];
  const warn = console.warn;
  console.warn = () => {};
  try {
    return require(RE2_WASM) as Re2Module;
  } finally {
    console.warn = warn;
  }
}

/** Loaded on the first regex checked: compiling the WebAssembly would cost every start otherwise (a `translate`
 * whose routes match no regex never needs it; bench/translate.startup). */
let re2: Re2Module | undefined;

// re2-wasm 1.0.2 (pinned exactly) is RE2 of 2020-10-26 built for wasm32: its WrappedRE2 holds the RE2 object
// first, whose `prog_` pointer sits at byte 84, and Prog's `size_` at byte 16 of the program (re2.h, prog.h).
// re2.test.ts pins both with sizes Envoy reports.
const PROG_OFFSET = 84;
const PROG_SIZE_OFFSET = 16;

const OUT_OF_MEMORY = 'pattern too large: its UTF-8 program does not fit in 16 MiB';

export type Re2Verdict =
  | { readonly ok: true; readonly programSize: number }
  | { readonly ok: false; readonly error: string };

/**
 * Compiles `pattern` with RE2's default options (UTF-8, Perl classes, case-sensitive: what Envoy's
 * `CompiledGoogleReMatcher` uses) and returns RE2's error or the program size.
 */
export function compileRe2(pattern: string): Re2Verdict {
  const prepared = envoyReading(pattern);
  if (typeof prepared !== 'string') return prepared;
  re2 ??= loadRe2();
  const instance = re2;
  let compiled: WrappedRE2;
  try {
    compiled = new instance.WrappedRE2(prepared, false, false, false);
  } catch {
    // The instance aborted: the next pattern gets a fresh one.
    re2 = undefined;
    return { ok: false, error: OUT_OF_MEMORY };
  }
  try {
    if (!compiled.ok()) return { ok: false, error: compiled.error() };
    const prog = instance.HEAPU32[(compiled.$$.ptr + PROG_OFFSET) >> 2] as number;
    return { ok: true, programSize: instance.HEAP32[(prog + PROG_SIZE_OFFSET) >> 2] as number };
  } finally {
    compiled.delete();
  }
}

/**
 * Why Envoy refuses `pattern` (RE2's own error text, or the program size over `RE2_MAX_PROGRAM_SIZE`), or
 * undefined when it accepts it.
 */
export function re2Error(pattern: unknown, maxProgramSize = RE2_MAX_PROGRAM_SIZE): string | undefined {
  if (typeof pattern !== 'string') return 'not a string';
  const key = `${maxProgramSize}\u0000${pattern}`;
  const known = verdicts.get(key);
  if (known !== undefined) return known === '' ? undefined : known;
  const error = uncachedRe2Error(pattern, maxProgramSize);
  if (verdicts.size >= VERDICTS_KEPT) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(key, error ?? '');
  return error;
}

// Compiling costs 0.1 ms for a path and ~50 ms for a Unicode class; route evaluations ask again on every change
// of what a route reads, so verdicts are kept (oldest forgotten first).
const VERDICTS_KEPT = 4096;
const verdicts = new Map<string, string>();

function uncachedRe2Error(pattern: string, maxProgramSize: number): string | undefined {
  // Envoy's Latin-1 reading first, when it differs: a Unicode class compiled in UTF-8 costs tens of milliseconds
  // and can overflow the WebAssembly heap (a reload of the module), where its Latin-1 members cost next to nothing.
  // Within the limit there, the verdict is Envoy's; otherwise the UTF-8 program decides as below.
  const latin1 = unicodeClassesAsLatin1(pattern);
  if (latin1 !== pattern) {
    const quick = compileRe2(latin1);
    if (quick.ok && quick.programSize <= maxProgramSize) return undefined;
  }
  const verdict = compileRe2(pattern);
  if (!verdict.ok && verdict.error !== OUT_OF_MEMORY) return verdict.error;
  if (verdict.ok && verdict.programSize <= maxProgramSize) return undefined;
  // Counted in UTF-8, the program is never smaller than Envoy's (whose RE2 reads a pattern as Latin-1: a Unicode
  // class keeps its members up to FF). Only a program over the limit is counted again with that reading.
  const recounted = latin1 === pattern ? verdict : compileRe2(latin1);
  if (!verdict.ok && !recounted.ok) return verdict.error;
  const programSize = Math.min(
    recounted.ok ? recounted.programSize : Number.POSITIVE_INFINITY,
    verdict.ok ? verdict.programSize : Number.POSITIVE_INFINITY,
  );
  return programSize > maxProgramSize
    ? `RE2 program size of ${programSize} > max program size of ${maxProgramSize}`
    : undefined;
}

// Envoy's `.` is two byte ranges (00-09, 0B-FF); two ASCII ranges compile to as many instructions in UTF-8.
const LATIN1_DOT = '[\\x{0}-\\x{9}\\x{b}-\\x{7f}]';
// A Latin-1 class of n ranges counts as n separate control characters (odd code points below 40: no case folds).
const STAND_INS = 32;

const GENERAL_CATEGORIES = new Set(
  'L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp C Cc Cf Cs Co'.split(
    ' ',
  ),
);

/**
 * `\p{Greek}`, `\pL`, `\PN` and `.` outside a bracket class, replaced by classes of as many ASCII ranges as they
 * have up to FF: the program Envoy's Latin-1 reading compiles, counted in UTF-8 (negated bracket classes and `\S`,
 * `\D`, `\W` still count up to 10FFFF: at most about twice what Envoy counts).
 */
function unicodeClassesAsLatin1(pattern: string): string {
  const inClass = bracketClassMask(pattern);
  return pattern.replace(
    /\\([pP])(?:\{(\^?)(\w+)\}|(\w))|(\\[^pP])|(\.)/gs,
    (whole, p, caret, long, short, escaped, dot, at) => {
      if (escaped !== undefined || inClass[at as number] === 1) return whole;
      if (dot !== undefined) return LATIN1_DOT;
      const name = (long ?? short) as string;
      const negated = (p === 'P') !== (caret === '^');
      const property =
        name === 'Any' ? '\\p{Any}' : GENERAL_CATEGORIES.has(name) ? `\\p{gc=${name}}` : `\\p{sc=${name}}`;
      let test: RegExp;
      try {
        test = new RegExp(`^${property}$`, 'u');
      } catch {
        return whole;
      }
      // Its ranges up to FF (complemented there when negated), each standing for one byte-range instruction.
      let count = 0;
      for (let code = 0; code <= 0xff; code++) {
        if (test.test(String.fromCharCode(code)) === negated) continue;
        while (code < 0xff && test.test(String.fromCharCode(code + 1)) !== negated) code++;
        count++;
      }
      if (count === 0) return '(?:)';
      if (count > STAND_INS) return whole;
      return `[${Array.from({ length: count }, (_, k) => hex(1 + 2 * k)).join('')}]`;
    },
  );
}

/** 1 at each index of `pattern` inside a bracket class (the same reading as envoyReading's). */
function bracketClassMask(pattern: string): Uint8Array {
  const mask = new Uint8Array(pattern.length);
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (inClass) mask[i] = 1;
    if (c === '\\') {
      if (inClass) mask[i + 1] = 1;
      i++;
    } else if (!inClass && c === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') mask[++i] = 1;
      if (pattern[i + 1] === ']') mask[++i] = 1;
    } else if (inClass && c === '[' && pattern[i + 1] === ':') {
      const end = pattern.indexOf(':]', i + 2);
      if (end >= 0) {
        mask.fill(1, i, end + 2);
        i = end + 1;
      }
    } else if (inClass && c === ']') {
      inClass = false;
    }
  }
  return mask;
}

function hex(code: number): string {
  return `\\x{${code.toString(16)}}`;
}

/**
 * The two places where the RE2 of 2020 in re2-wasm and Envoy's (measured on Envoy 1.40) read a pattern
 * differently: Envoy's accepts `(?<name>…)` as `(?P<name>…)` (RE2 added it in 2023), and refuses a `\x{…}` escape
 * above FF (its parser's largest rune there is Latin-1's). Returns the pattern re2-wasm should compile, or the
 * error Envoy gives.
 */
function envoyReading(pattern: string): string | { ok: false; error: string } {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end < 0 ? pattern.length : end + 2;
        out += pattern.slice(i, stop);
        i = stop - 1;
        continue;
      }
      if (next === 'x' && pattern[i + 2] === '{') {
        let code = 0;
        let j = i + 3;
        for (; j < pattern.length && /[0-9A-Fa-f]/.test(pattern[j] as string); j++) {
          code = code * 16 + Number.parseInt(pattern[j] as string, 16);
          if (code > 0xff) return { ok: false, error: `invalid escape sequence: ${pattern.slice(i, j + 1)}` };
        }
      }
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        if (end >= 0) {
          out += pattern.slice(i, end + 2);
          i = end + 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a member, not the end.
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
      continue;
    }
    if (c === '(' && pattern.startsWith('(?<', i) && pattern[i + 3] !== '=' && pattern[i + 3] !== '!') {
      out += '(?P<';
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

/** `text` as a regular expression that matches exactly it. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A CORS origin with `*` wildcards (each standing for one or more characters other than `/`) as a regex. */
export function wildcardOriginRegex(origin: string): string {
  return origin === '*' ? '.*' : origin.split('*').map(escapeRegex).join('[^/]+');
}

/** The path regex of a GRPCRoute `RegularExpression` method match (an empty part matches any name). */
export function grpcMethodRegex(service: string, method: string): string {
  return `/${service === '' ? '[^/]+' : service}/${method === '' ? '[^/]+' : method}`;
}
