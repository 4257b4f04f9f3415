/**
 * Aligned plain-text tables for the CLI, without a dependency. Colour is applied after padding,
 * so escape codes never break the alignment; it is on only for a TTY without `NO_COLOR`.
 */

export type Colour = 'red' | 'green' | 'yellow' | 'blue' | 'cyan' | 'magenta' | 'dim' | 'bold';

const CODES: Record<Colour, [open: number, close: number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Numbers read best right-aligned. Default left. */
  align?: 'left' | 'right';
  colour?: (row: Row) => Colour | undefined;
}

export interface TableOptions {
  colour: boolean;
  /** Spaces between columns. Default 2. */
  gap?: number;
}

export function formatTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  options: TableOptions,
): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const widths = columns.map((column, index) =>
    Math.max(displayWidth(column.header), ...cells.map((line) => displayWidth(line[index] ?? ''))),
  );
  const gap = ' '.repeat(options.gap ?? 2);
  const render = (texts: readonly string[], colourOf: (index: number) => Colour | undefined) =>
    texts
      .map((text, index) => {
        const column = columns[index]!;
        const isLast = index === texts.length - 1;
        const padded = pad(text, widths[index]!, column.align ?? 'left', isLast);
        return paint(padded, colourOf(index), options.colour);
      })
      .join(gap)
      .trimEnd();
  const header = render(
    columns.map((column) => column.header),
    () => 'bold',
  );
  const body = cells.map((line, rowIndex) =>
    render(line, (index) => columns[index]!.colour?.(rows[rowIndex]!)),
  );
  return [header, ...body].join('\n');
}

/** Wraps text in an ANSI colour when enabled. */
export function paint(text: string, colour: Colour | undefined, enabled: boolean): string {
  if (!enabled || colour === undefined || text === '') return text;
  const [open, close] = CODES[colour];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/** Colour only for a terminal, and never when `NO_COLOR` is set to a non-empty value (no-color.org). */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

function pad(text: string, width: number, align: 'left' | 'right', isLast: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  if (align === 'right') return fill + text;
  return isLast ? text : text + fill;
}

/** Code points, not UTF-16 units, so `—` and `→` count as one column. */
function displayWidth(text: string): number {
  return [...text].length;
}
