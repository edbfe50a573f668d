// SecurityPolicy `authorization` → agentgateway's `authorization` traffic policy (CEL rules). Envoy Gateway's rules
// are ordered, the first that matches decides, and the default action decides when none does; agentgateway's deny
// rules win over its allow rules whatever their order. So the whole list becomes one `require` expression that is
// true exactly when Envoy Gateway would allow: `m1 ? a1 : (m2 ? a2 : … default)`, each `m` a rule's parts ANDed
// (methods, path, client CIDRs, headers, JWT claims and scopes). An expression agentgateway cannot evaluate on a
// request (a claim the token lacks) is false for it: such a request is refused, never let through.
import type { AuthorizationIR, AuthorizationRuleIR } from '../../../model/ir/policies.ts';
import { allOf, anyOf, celList, celString, claimPath, escapeRegex, headerIn, whole } from './cel.ts';
import type { FamilyOutput } from './context.ts';

export function authorizationPolicy(authorization: AuthorizationIR): FamilyOutput {
  const verdict = (action: 'Allow' | 'Deny') => (action === 'Allow' ? 'true' : 'false');
  const expression = authorization.rules.reduceRight(
    (rest, rule) => `(${rulePredicate(rule)} ? ${verdict(rule.action)} : ${rest})`,
    verdict(authorization.defaultAction),
  );
  return { traffic: [{ authorization: { require: [expression] } }] };
}

/** Every part of a rule must match; a rule with no part matches every request. */
export function rulePredicate(rule: AuthorizationRuleIR): string {
  const parts: string[] = [];
  if (rule.methods.length > 0) parts.push(`request.method in ${celList(rule.methods)}`);
  if (rule.path !== undefined) parts.push(`request.path.matches(${celString(pathRegex(rule.path))})`);
  if (rule.clientCIDRs.length > 0)
    parts.push(
      anyOf(
        rule.clientCIDRs.map(
          (c) => `cidr(${celString(`${c.address}/${c.prefixLength}`)}).containsIP(source.address)`,
        ),
      ),
    );
  for (const header of rule.headers) parts.push(headerIn(header.name, header.values));
  if (rule.jwt !== undefined) {
    for (const scope of rule.jwt.scopes) parts.push(scopeIn(scope));
    for (const claim of rule.jwt.claims) {
      const path = claimPath(claim.name);
      parts.push(
        claim.valueType === 'StringArray'
          ? anyOf(claim.values.map((v) => `${celString(v)} in ${path}`))
          : `${path} in ${celList(claim.values)}`,
      );
    }
  }
  return allOf(parts);
}

/** A scope in the space-separated `scope` string or the `scp` list (as Envoy reads them). */
function scopeIn(scope: string): string {
  const word = celString(`(^| )${escapeRegex(scope)}( |$)`);
  return anyOf([
    `(has(jwt.scope) && jwt.scope.matches(${word}))`,
    `(has(jwt.scp) && ${celString(scope)} in jwt.scp)`,
  ]);
}

/** The path part of an authorization rule's path match, as a whole-path regular expression. */
function pathRegex(path: NonNullable<AuthorizationRuleIR['path']>): string {
  if (path.type === 'Exact') return whole(escapeRegex(path.value));
  if (path.type === 'PathPrefix') {
    const prefix = path.value.replace(/\/+$/, '');
    return prefix === '' ? '^/.*$' : whole(`${escapeRegex(prefix)}(/.*)?`);
  }
  return whole(path.value);
}
