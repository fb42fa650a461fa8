/*
 * Printing query results: an aligned text table for people, JSON or CSV for tools.
 */

export type OutputFormat = 'table' | 'json' | 'csv';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'csv'];

export interface ResultTable {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export function formatResult(result: ResultTable, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return formatJson(result);
    case 'csv':
      return formatCsv(result);
    default:
      return formatTable(result);
  }
}

/** One JSON object per row, in an array: what scripts want to pipe into jq. */
export function formatJson({ columns, rows }: ResultTable): string {
  const objects = rows.map((row) => Object.fromEntries(columns.map((c, i) => [c.name, row[i]])));
  return JSON.stringify(objects, null, 2) + '\n';
}

/** RFC 4180 CSV with a header row. */
export function formatCsv({ columns, rows }: ResultTable): string {
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  for (const row of rows) lines.push(row.map((v) => csvField(cellText(v))).join(','));
  return lines.join('\r\n') + '\r\n';
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const NUMERIC_TYPE = /^(Nullable\()?(U?Int|Float|Decimal)/;
const MAX_CELL = 60;

/** An aligned table; numbers right-aligned, long cells cut with an ellipsis. */
export function formatTable({ columns, rows }: ResultTable, maxCell = MAX_CELL): string {
  if (columns.length === 0) return '(no columns)\n';
  const cells = rows.map((row) => row.map((v) => clip(cellText(v), maxCell)));
  const widths = columns.map((c, i) => Math.max(c.name.length, ...cells.map((r) => displayWidth(r[i] ?? ''))));
  const numeric = columns.map((c) => NUMERIC_TYPE.test(c.type));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? padStart(v, widths[i]!) : padEnd(v, widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.name)), widths.map((w) => '─'.repeat(w)).join('  ')];
  for (const r of cells) out.push(line(r));
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}

/** Text of one value the way a reader expects it (no quotes around strings, JSON for structures). */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  return oneLine.length > max ? oneLine.slice(0, max - 1) + '…' : oneLine;
}

function displayWidth(text: string): number {
  return [...text].length;
}

function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}
