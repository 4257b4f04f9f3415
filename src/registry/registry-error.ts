/**
 * A registry file that cannot be read, parsed or validated. The message starts with
 * `file:line:` so editors and terminals can jump to the spot; `problems` lists every issue.
 */

/** One thing wrong with a registry file. */
export interface RegistryProblem {
  file: string;
  /** 1-based line, when the problem could be located. */
  line?: number;
  /** The field at fault, e.g. `models[3].status`; empty for file-level problems. */
  field: string;
  message: string;
}

export class RegistryError extends Error {
  readonly problems: RegistryProblem[];

  constructor(problems: RegistryProblem[], options?: { cause?: unknown }) {
    super(problems.map(formatProblem).join('\n'), options);
    this.name = 'RegistryError';
    this.problems = problems;
  }
}

/** `registry/free-models.yaml:42: models[3].status: expected one of …` */
export function formatProblem(problem: RegistryProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return problem.field ? `${where}: ${problem.field}: ${problem.message}` : `${where}: ${problem.message}`;
}
