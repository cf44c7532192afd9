/**
 * The bench's output: one row per figure and size, printed as a table (with numbered notes
 * below it) and written to bench/results.json.
 */

/** One library's figure: a median of samples, a count, or a time budget it did not finish in. */
export interface Cell {
  status: 'ok' | 'dnf' | 'error';
  /** The median (ms, requests, polls, bytes or MiB, as the row's unit says). */
  value?: number;
  /** Samples (or runs) behind the median; absent for counts. */
  n?: number;
  /** How the cell is printed, e.g. `12.3 µs` or `> 60 s (did not finish)`. */
  text: string;
}

export interface Row {
  figure: string;
  size: string;
  unit: 'ms' | 'requests' | 'polls' | 'bytes' | 'MiB';
  ours: Cell;
  msalNode: Cell;
  /** msal-node's value divided by ours (how many times less ours takes); absent when either is missing or zero. */
  ratio?: number;
  target: string;
  /** null: the figure is reported, it has no target. */
  met: boolean | null;
  note?: string;
}

export function ratioOf(ours: Cell, theirs: Cell): number | undefined {
  if (ours.status !== 'ok' || ours.value === undefined || ours.value === 0) return undefined;
  if (theirs.status === 'dnf' && theirs.value !== undefined) return theirs.value / ours.value; // a lower bound
  if (theirs.status !== 'ok' || theirs.value === undefined) return undefined;
  return theirs.value / ours.value;
}

function formatRatio(row: Row): string {
  if (row.ratio === undefined) return '—';
  const prefix = row.msalNode.status === 'dnf' ? '> ' : '';
  if (row.ratio >= 100) return `${prefix}${Math.round(row.ratio).toLocaleString('en-US')}×`;
  return `${prefix}${row.ratio.toFixed(row.ratio >= 10 ? 0 : row.ratio >= 1 ? 1 : 2)}×`;
}

function formatMet(met: boolean | null): string {
  return met === null ? '—' : met ? 'yes' : 'NO';
}

/** The table as plain text (also valid Markdown), and its numbered notes. */
export function renderTable(rows: Row[], markdown = false): string {
  const header = ['#', 'Figure', 'Size', 'Ours', 'msal-node', 'Ratio', 'Target', 'Met'];
  const notes: string[] = [];
  const body = rows.map((row) => {
    let figure = row.figure;
    if (row.note) {
      notes.push(row.note);
      figure += ` [${notes.length}]`;
    }
    return [row.figure.split(' ')[0]!, figure.slice(figure.indexOf(' ') + 1), row.size, row.ours.text, row.msalNode.text, formatRatio(row), row.target, formatMet(row.met)];
  });
  const lines: string[] = [];
  if (markdown) {
    lines.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`);
    for (const cells of body) lines.push(`| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`);
  } else {
    const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => cells[i]!.length)));
    const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
    lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const cells of body) lines.push(line(cells));
  }
  if (notes.length > 0) {
    lines.push('');
    notes.forEach((note, i) => lines.push(`${markdown ? '' : ' '}[${i + 1}] ${note}`));
  }
  return lines.join('\n');
}
