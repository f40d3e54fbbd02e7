// Rows of the result table: a measured figure, what it is compared with (measured in the same run),
// the ratio, the target and whether it is met. Rendered as one Markdown table (stdout and RESULTS.md).

export function formatNumber(value, unit) {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return unit ? `${text} ${unit}` : text;
}

const compare = (value, op, limit) => (op === '<=' ? value <= limit : value >= limit);

/** A figure of the service compared with a baseline: ratio = service / baseline. */
export function ratioRow({ id, measure, value, unit, baselineLabel, baseline, op, limit }) {
  const ratio = value / baseline;
  return {
    id,
    measure,
    service: formatNumber(value, unit),
    baseline: `${baselineLabel}: ${formatNumber(baseline, unit)}`,
    ratio: `${ratio.toFixed(2)}x`,
    target: `${op} ${limit}x`,
    met: compare(ratio, op, limit),
    gap: compare(ratio, op, limit) ? '' : `${ratio.toFixed(2)}x vs ${limit}x (${op === '>=' ? `${(limit / ratio).toFixed(1)}x short` : `${(ratio / limit).toFixed(1)}x over`})`,
  };
}

/** A figure with an absolute target (time, memory) or one compared with an earlier figure of the same process. */
export function absoluteRow({ id, measure, value, unit, op, limit, baseline = '', ratio = '' }) {
  return {
    id,
    measure,
    service: formatNumber(value, unit),
    baseline,
    ratio,
    target: `${op} ${formatNumber(limit, unit)}`,
    met: compare(value, op, limit),
    gap: compare(value, op, limit) ? '' : `${formatNumber(value, unit)} vs ${formatNumber(limit, unit)} (${formatNumber(Math.abs(value - limit), unit)} ${op === '<=' ? 'over' : 'short'})`,
  };
}

/** A row that only reports (no target), e.g. a reference baseline. */
export function infoRow({ id, measure, service, baseline = '', ratio = '' }) {
  return { id, measure, service, baseline, ratio, target: '', met: null, gap: '' };
}

export function renderTable(rows) {
  const header = ['#', 'Measure', 'Service', 'Compared with (same run)', 'Ratio', 'Target', 'Result'];
  const cells = rows.map((row) => [row.id, row.measure, row.service, row.baseline, row.ratio, row.target, row.met === null ? 'info' : row.met ? 'met' : 'MISSED']);
  const escape = (text) => String(text).replaceAll('|', '\\|');
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...cells.map((line) => `| ${line.map(escape).join(' | ')} |`)].join('\n');
}
