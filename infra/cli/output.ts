/** What the CLI prints: objects as indented JSON, lists as aligned text tables. */

export function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Rows of cells under a header, each column as wide as its widest cell. */
export function textTable(rows: string[][], header: string[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Prints the given columns of each object as a table. */
export function table(rows: Record<string, unknown>[], columns: string[]): void {
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  process.stdout.write(`${textTable(cells, columns)}\n`);
}
