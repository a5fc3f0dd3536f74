/**
 * Aligned text tables with light box-drawing rules. Widths are measured on the plain text, so a
 * cell may carry ANSI colour (`paint`) without breaking alignment.
 */

export interface Cell {
  text: string;
  /** Applied after padding (ANSI colour); must not change the visible width. */
  paint?: (padded: string) => string;
}

export type CellInput = string | Cell;

export interface TableOptions {
  /** Column alignment; default: first column left, the others right. */
  align?: ("left" | "right")[];
  /** Spaces before each line. Default 2. */
  indent?: number;
}

function toCell(input: CellInput): Cell {
  return typeof input === "string" ? { text: input } : input;
}

/** Visible width: code points, not UTF-16 units (✓, ≤ and × are one column). */
export function visibleWidth(text: string): number {
  let width = 0;
  for (const _ of text) width += 1;
  return width;
}

function pad(text: string, width: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, width - visibleWidth(text)));
  return align === "left" ? text + fill : fill + text;
}

/** A header row, a rule under it, then the rows. Returns lines without trailing newline. */
export function renderTable(header: CellInput[], rows: CellInput[][], options: TableOptions = {}): string[] {
  const all = [header, ...rows].map((row) => row.map(toCell));
  const columns = Math.max(...all.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, c) =>
    Math.max(0, ...all.map((row) => visibleWidth(row[c]?.text ?? ""))),
  );
  const alignOf = (c: number): "left" | "right" => options.align?.[c] ?? (c === 0 ? "left" : "right");
  const indent = " ".repeat(options.indent ?? 2);
  const line = (row: Cell[]): string =>
    (
      indent +
      widths
        .map((width, c) => {
          const cell = row[c] ?? { text: "" };
          const padded = pad(cell.text, width, alignOf(c));
          return cell.paint ? cell.paint(padded) : padded;
        })
        .join("  ")
    ).trimEnd();
  const [head, ...body] = all;
  const rule = indent + widths.map((w) => "─".repeat(w)).join("  ");
  return [line(head ?? []), rule, ...body.map(line)];
}
