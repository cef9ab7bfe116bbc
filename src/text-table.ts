/** Space-padded columns for the CLI's tables; numbers (all but the first column) right-aligned unless `alignLeft`. */
export function formatTable(rows: readonly (readonly string[])[], alignLeft = false): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const pad = (cell: string, column: number) =>
    column === 0 || alignLeft ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!);
  return rows.map((row) => row.map(pad).join('  ').trimEnd()).join('\n');
}
