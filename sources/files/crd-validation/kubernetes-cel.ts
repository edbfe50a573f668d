// The CEL environment a CRD's validation rules (x-kubernetes-validations) run in, as far as the rules of the CRDs
// we validate against use it: CEL's standard functions (with RE2's `matches`, as the API server's cel-go has) and
// string extensions, plus Kubernetes' `isIP`. A rule calling a function not here fails to evaluate, and the
// object is refused naming the rule (never accepted unchecked).
import { isIPv4, isIPv6 } from 'node:net';
import type { CelEnv } from '@bufbuild/cel';
import type { RE2JS } from '@bufbuild/re2';
import { celExtensions, celLibrary, re2Library } from './cel-library.ts';

let environment: CelEnv | undefined;

export function kubernetesCelEnv(): CelEnv {
  if (environment === undefined) {
    const { CelScalar, celEnv, celFunc } = celLibrary();
    environment = celEnv({
      funcs: [...celExtensions().strings, celFunc('isIP', [CelScalar.STRING], CelScalar.BOOL, isIP)],
      re2: { compile: compiledPattern },
    });
  }
  return environment;
}

/**
 * `matches` compiles its pattern at every call otherwise, most of a rule's time. Rules' patterns are literals, so
 * the cache holds a few dozen; a bound keeps a pattern taken from the data from growing it without end.
 */
const patterns = new Map<string, RE2JS>();
const MAX_PATTERNS = 512;

function compiledPattern(pattern: string): { test(text: string): boolean } {
  let compiled = patterns.get(pattern);
  if (compiled === undefined) {
    compiled = re2Library().RE2JS.compile(pattern);
    if (patterns.size >= MAX_PATTERNS) patterns.clear();
    patterns.set(pattern, compiled);
  }
  return { test: (text) => (compiled as RE2JS).test(text) };
}

/**
 * Kubernetes' `isIP`: an IPv4 or IPv6 address as Go's netip.ParseAddr reads one, so no IPv4 octet with a leading
 * zero and no IPv6 zone.
 */
export function isIP(text: string): boolean {
  if (isIPv4(text)) return text.split('.').every((octet) => octet === '0' || !octet.startsWith('0'));
  return isIPv6(text) && !text.includes('%');
}
