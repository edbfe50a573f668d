// The problems with the input that no status can carry (unreadable files, ignored kinds, objects defined twice,
// objects the schema rejects), as the inspector, `translate` and the logs show them: de-duplicated, bounded per
// file and in all, and forgotten when the file they concern is read again or removed.
import type { ProblemCategory, ProblemObject, SourceProblem } from './files/machine.ts';

export interface ProblemBookLimits {
  /** Problems listed per file (or other origin); the rest are counted. */
  readonly perFile: number;
  /** Problems listed in all. */
  readonly total: number;
}

export const DEFAULT_PROBLEM_LIMITS: ProblemBookLimits = { perFile: 10, total: 1000 };

/** What `add` did with a problem: listed it, counted it beyond the limits, or knew it already. */
export type Admission = 'listed' | 'counted' | 'known';

interface Entry {
  readonly problem: SourceProblem;
  readonly group: string;
  readonly files: readonly string[];
}

export class ProblemBook {
  private readonly limits: ProblemBookLimits;
  private readonly entries = new Map<string, Entry>();
  /** file → the entries that concern it */
  private readonly byFile = new Map<string, Set<string>>();
  /** group → how many of its entries are listed, and how many more were counted */
  private readonly groups = new Map<string, { listed: number; more: number }>();

  constructor(limits: ProblemBookLimits = DEFAULT_PROBLEM_LIMITS) {
    this.limits = limits;
  }

  add(problem: SourceProblem): Admission {
    const id = `${problem.origin}\u0000${problem.message}`;
    if (this.entries.has(id)) return 'known';
    const files = problem.files ?? fileOfOrigin(problem.origin);
    const group = files[0] ?? problem.origin;
    const counts = this.groups.get(group) ?? { listed: 0, more: 0 };
    this.groups.set(group, counts);
    if (counts.listed >= this.limits.perFile || this.entries.size >= this.limits.total) {
      counts.more++;
      for (const file of files) this.index(file, undefined);
      return 'counted';
    }
    counts.listed++;
    this.entries.set(id, { problem, group, files });
    for (const file of files) this.index(file, id);
    return 'listed';
  }

  /** Forgets what concerns these files (they are being read again, or were removed). */
  clearFiles(files: readonly string[]): void {
    for (const file of files) {
      const ids = this.byFile.get(file);
      if (ids === undefined) continue;
      this.byFile.delete(file);
      this.groups.delete(file);
      for (const id of ids) {
        const entry = this.entries.get(id);
        if (entry === undefined) continue;
        this.entries.delete(id);
        const counts = this.groups.get(entry.group);
        if (counts !== undefined) counts.listed--;
        for (const other of entry.files) if (other !== file) this.byFile.get(other)?.delete(id);
      }
    }
  }

  /**
   * Forgets what concerns this object (of this category, or all): it was read again valid, or deleted. Kubernetes
   * mode has no files to read again, so this is how its problems are cleared when the cause is fixed.
   */
  withdrawObject(object: ProblemObject, category?: ProblemCategory): void {
    for (const [id, entry] of this.entries) {
      const concerned = entry.problem.object;
      if (
        concerned === undefined ||
        concerned.kind !== object.kind ||
        concerned.namespace !== object.namespace ||
        concerned.name !== object.name ||
        (category !== undefined && entry.problem.category !== category)
      )
        continue;
      this.entries.delete(id);
      const counts = this.groups.get(entry.group);
      if (counts !== undefined) counts.listed--;
      for (const file of entry.files) this.byFile.get(file)?.delete(id);
    }
  }

  /** The listed problems in the order they came, and per origin a line for those only counted. */
  list(): SourceProblem[] {
    const problems = [...this.entries.values()].map((entry) => entry.problem);
    for (const [group, { more }] of this.groups) {
      if (more > 0)
        problems.push({ origin: group, message: `${more} more problems here are not listed`, count: more });
    }
    return problems;
  }

  private index(file: string, id: string | undefined): void {
    let ids = this.byFile.get(file);
    if (ids === undefined) {
      ids = new Set();
      this.byFile.set(file, ids);
    }
    if (id !== undefined) ids.add(id);
  }
}

/** `dir/file.yaml:12` → [`dir/file.yaml`]; an origin without a line (`files`, a kind) concerns no file. */
function fileOfOrigin(origin: string): string[] {
  const match = /^(.+):\d+$/.exec(origin);
  return match === null ? [] : [match[1] as string];
}
