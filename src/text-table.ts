/**
 * Space-padded columns for the CLI's tables: the first column (labels) and any other `leftAligned`
 * one padded on the right, numbers on the left; no trailing spaces.
 */
export function formatTable(
  rows: readonly (readonly string[])[],
  leftAligned: (column: number) => boolean = (column) => column === 0,
): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const pad = (cell: string, column: number) =>
    leftAligned(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!);
  return rows.map((row) => row.map(pad).join('  ').trimEnd()).join('\n');
}
