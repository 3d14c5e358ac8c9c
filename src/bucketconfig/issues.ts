/** What validation reports: one problem of one bucket, named down to the rule and field. */

/** One validation error or warning. */
export interface Issue {
  bucket: string;
  /** The sub-resource: `lifecycle`, `intelligentTiering`, `cors`, `policy`, ... */
  section: string;
  /** The rule or configuration id, for sub-resources made of rules. */
  ruleId?: string;
  /** The field, relative to the rule when `ruleId` is set (`transitions[0].days`). */
  field: string;
  message: string;
}

/** The result of validation: errors make the file unusable, warnings cost money. */
export interface ValidationResult {
  errors: Issue[];
  warnings: Issue[];
}

const RULE_LABELS: Record<string, string> = {
  lifecycle: 'lifecycle rule',
  intelligentTiering: 'intelligent-tiering configuration',
  inventory: 'inventory configuration',
  replication: 'replication rule',
  cors: 'CORS rule',
  notifications: 'notification target',
};

/**
 * One line naming bucket, rule and field.
 *
 * @example
 * formatIssue('error', issue); // 'error: bucket "x", lifecycle rule "y", transitions[0].days: ...'
 */
export function formatIssue(level: 'error' | 'warning', issue: Issue): string {
  const rule =
    issue.ruleId !== undefined
      ? `, ${RULE_LABELS[issue.section] ?? `${issue.section} rule`} "${issue.ruleId}"`
      : '';
  return `${level}: bucket "${issue.bucket}"${rule}, ${issue.field}: ${issue.message}`;
}

/** Collects issues of one bucket and section. */
export class IssueSink {
  readonly errors: Issue[] = [];
  readonly warnings: Issue[] = [];

  /** Reports an error. */
  error(
    bucket: string,
    section: string,
    ruleId: string | undefined,
    field: string,
    message: string,
  ): void {
    this.errors.push(issue(bucket, section, ruleId, field, message));
  }

  /** Reports a warning. */
  warn(
    bucket: string,
    section: string,
    ruleId: string | undefined,
    field: string,
    message: string,
  ): void {
    this.warnings.push(issue(bucket, section, ruleId, field, message));
  }

  /** Reports an error for every id used more than once in `ids`. */
  duplicates(bucket: string, section: string, ids: (string | undefined)[]): void {
    const seen = new Set<string>();
    for (const id of ids) {
      if (id === undefined) continue;
      if (seen.has(id)) {
        const label = RULE_LABELS[section] ?? `${section} rule`;
        this.error(bucket, section, id, 'id', `another ${label} already has the id "${id}"`);
      }
      seen.add(id);
    }
  }
}

function issue(
  bucket: string,
  section: string,
  ruleId: string | undefined,
  field: string,
  message: string,
): Issue {
  return ruleId === undefined
    ? { bucket, section, field, message }
    : { bucket, section, ruleId, field, message };
}
