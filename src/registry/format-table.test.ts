import { describe, expect, it } from 'vitest';
import { colourEnabled, formatTable, paint } from './format-table.js';

interface Row {
  name: string;
  count: number;
}

const rows: Row[] = [
  { name: 'alpha', count: 5 },
  { name: 'β → long name', count: 1200 },
];

describe('formatTable', () => {
  it('aligns columns, numbers to the right, with no trailing spaces', () => {
    const text = formatTable<Row>(
      [
        { header: 'NAME', value: (row) => row.name },
        { header: 'COUNT', value: (row) => String(row.count), align: 'right' },
        { header: 'NOTE', value: (row) => (row.count > 100 ? 'big' : '') },
      ],
      rows,
      { colour: false },
    );
    expect(text).toBe(
      ['NAME           COUNT  NOTE', 'alpha              5', 'β → long name   1200  big'].join('\n'),
    );
  });

  it('colours after padding, so alignment holds', () => {
    const text = formatTable<Row>(
      [
        { header: 'NAME', value: (row) => row.name, colour: () => 'green' },
        { header: 'COUNT', value: (row) => String(row.count) },
      ],
      rows.slice(0, 1),
      { colour: true },
    );
    expect(text).toBe('\u001b[1mNAME \u001b[22m  \u001b[1mCOUNT\u001b[22m\n\u001b[32malpha\u001b[39m  5');
  });
});

describe('colour', () => {
  it('is on for a TTY unless NO_COLOR is set', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({}, {})).toBe(false);
  });

  it('paint leaves text alone when disabled', () => {
    expect(paint('x', 'red', false)).toBe('x');
    expect(paint('x', 'red', true)).toBe('\u001b[31mx\u001b[39m');
  });
});
