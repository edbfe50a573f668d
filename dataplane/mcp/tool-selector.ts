// Which of a backend's tools the route exposes (MCPRoute `toolSelector`): exact names and regular expressions,
// include and exclude, exclude winning. A tool the selector hides is neither listed nor callable.

export interface ToolSelectorSpec {
  readonly include?: readonly string[];
  readonly includeRegex?: readonly string[];
  readonly exclude?: readonly string[];
  readonly excludeRegex?: readonly string[];
}

export interface ToolSelector {
  allows(tool: string): boolean;
}

const ALL_TOOLS: ToolSelector = { allows: () => true };

/**
 * Compiles a selector. Expressions match anywhere in the name unless anchored (as RE2's `MatchString` does in
 * Envoy AI Gateway); a name in `include` or matching `includeRegex` is exposed, unless it is in `exclude` or
 * matches `excludeRegex`. With no include list every tool not excluded is exposed.
 */
export function toolSelector(spec: ToolSelectorSpec): ToolSelector {
  const include = new Set(spec.include ?? []);
  const exclude = new Set(spec.exclude ?? []);
  const includeRegex = compile(spec.includeRegex ?? [], 'includeRegex');
  const excludeRegex = compile(spec.excludeRegex ?? [], 'excludeRegex');
  if (include.size + exclude.size + includeRegex.length + excludeRegex.length === 0) return ALL_TOOLS;
  const restricted = include.size > 0 || includeRegex.length > 0;
  return {
    allows(tool) {
      if (exclude.has(tool) || excludeRegex.some((re) => re.test(tool))) return false;
      if (!restricted) return true;
      return include.has(tool) || includeRegex.some((re) => re.test(tool));
    },
  };
}

function compile(expressions: readonly string[], field: string): RegExp[] {
  return expressions.map((expression, i) => {
    try {
      return new RegExp(expression, 'u');
    } catch (error) {
      throw new Error(
        `${field}[${i}] '${expression}' is not a valid regular expression: ${(error as Error).message}`,
      );
    }
  });
}
