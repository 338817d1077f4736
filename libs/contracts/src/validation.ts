/** Every failing field of a schema check in one line: `path: message; path: message`. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], rootLabel = '(root)'): string {
  return issues.map((i) => `${i.path.map(String).join('.') || rootLabel}: ${i.message}`).join('; ');
}
