/** One warning line naming the first few unreadable files (the count says how many in all). */
export function skippedWarning(what: string, failures: readonly string[]): string[] {
  if (failures.length === 0) return [];
  const shown = failures.slice(0, 5).join('; ');
  const more = failures.length > 5 ? `; and ${failures.length - 5} more` : '';
  return [`skipped ${failures.length} unreadable ${what}: ${shown}${more}`];
}
