/**
 * Renders the Grafana dashboard's panels (deploy/grafana/gateway.json) from Prometheus query_range
 * results into one self-contained HTML page of inline SVG charts (no charting dependency).
 */

/** One series of a panel: [unix seconds, value] points; NaN is a gap. */
export interface Series {
  name: string;
  points: [number, number][];
}

/** One panel as drawn: its row in the dashboard, its text and unit (Grafana's), its series. */
export interface RenderedPanel {
  row: string;
  title: string;
  description?: string;
  unit?: string;
  series: Series[];
}

export interface DashboardMeta {
  title: string;
  /** Unix seconds. */
  start: number;
  end: number;
  notes: string[];
}

/** The parts of a Grafana dashboard (deploy/grafana/gateway.json) that are drawn. */
export interface GrafanaBoard {
  panels: {
    type: string;
    title: string;
    description?: string;
    fieldConfig?: { defaults?: { unit?: string } };
    targets?: { expr: string; legendFormat?: string }[];
  }[];
}

/** A panel to draw: its row (the last row panel above it), text, unit and PromQL queries. */
export interface PanelQueries {
  row: string;
  title: string;
  description?: string;
  unit?: string;
  queries: { query: string; legendFormat?: string }[];
}

/**
 * The board's panels in order, each with the row it sits in and its queries made runnable outside
 * Grafana: `$__rate_interval` becomes 5s (four 1 s scrapes and one more) and `$instance` any instance.
 */
export function panelQueries(board: GrafanaBoard): PanelQueries[] {
  const panels: PanelQueries[] = [];
  let row = '';
  for (const panel of board.panels) {
    if (panel.type === 'row') {
      row = panel.title;
      continue;
    }
    panels.push({
      row,
      title: panel.title,
      description: panel.description,
      unit: panel.fieldConfig?.defaults?.unit,
      queries: (panel.targets ?? []).map((target) => ({
        query: target.expr.replace(/\$__rate_interval/g, '5s').replace(/\$instance/g, '.*'),
        legendFormat: target.legendFormat,
      })),
    });
  }
  return panels;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escape = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

/** A value as the panel's Grafana unit shows it (s, bytes, percentunit, reqps, or plain). */
export function formatValue(value: number, unit: string | undefined): string {
  if (!Number.isFinite(value)) return '-';
  switch (unit) {
    case 's':
      return value < 1 ? `${+(value * 1000).toPrecision(3)} ms` : `${+value.toPrecision(3)} s`;
    case 'bytes':
      return `${+(value / 1024 / 1024).toPrecision(3)} MiB`;
    case 'percentunit':
      return `${+(value * 100).toPrecision(3)} %`;
    case 'reqps':
      return `${+value.toPrecision(3)}/s`;
    default:
      return `${+value.toPrecision(3)}`;
  }
}

/** `{{label}}` placeholders of a Grafana legend format, filled from a series' labels. */
export function legend(format: string | undefined, labels: Record<string, string>): string {
  const text = (format || '').replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
  return text.trim() || JSON.stringify(labels);
}

/** One panel as a figure with an inline SVG chart and its legend (last and max value per series). */
export function chart(
  { title, description, unit, series }: RenderedPanel,
  { start, end, width = 560, height = 220 }: { start: number; end: number; width?: number; height?: number },
): string {
  const left = 64;
  const right = 12;
  const top = 10;
  const bottom = 28;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const max = Math.max(1e-9, ...values) * 1.1;
  const x = (t: number): number => left + ((t - start) / Math.max(1, end - start)) * plotW;
  const y = (v: number): number => top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="10" fill="#555">${escape(formatValue(v, unit))}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const t = start + ((end - start) * i) / 4;
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${height - 10}" text-anchor="middle" font-size="10" fill="#555">+${Math.round(t - start)} s</text>`,
    );
  }
  series.forEach((s, index) => {
    const color = PALETTE[index % PALETTE.length];
    // A gap (NaN, e.g. a quantile with no traffic) breaks the line.
    let segment: string[] = [];
    const flush = (): void => {
      if (segment.length > 1) {
        parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.6" points="${segment.join(' ')}"/>`);
      } else if (segment.length === 1) {
        const [px, py] = (segment[0] ?? '').split(',');
        parts.push(`<circle cx="${px}" cy="${py}" r="1.8" fill="${color}"/>`);
      }
      segment = [];
    };
    for (const [t, v] of s.points) {
      if (Number.isFinite(v)) segment.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
      else flush();
    }
    flush();
  });
  const legendHtml = series
    .map((s, index) => {
      const last = [...s.points].reverse().find((p) => Number.isFinite(p[1]));
      const peak = Math.max(...s.points.map((p) => p[1]).filter(Number.isFinite));
      return `<span class="key"><i style="background:${PALETTE[index % PALETTE.length]}"></i>${escape(s.name)} <small>last ${escape(
        formatValue(last ? last[1] : NaN, unit),
      )}, max ${escape(formatValue(peak, unit))}</small></span>`;
    })
    .join('');
  return `<figure><figcaption><b>${escape(title)}</b><br><small>${escape(description || '')}</small></figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escape(title)}">
<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#ccc"/>
${parts.join('\n')}
</svg>
<div class="legend">${series.length ? legendHtml : '<small>no data</small>'}</div></figure>`;
}

/** The whole page: the panels grouped by row, under the title and notes. */
export function renderDashboardHtml(rendered: RenderedPanel[], meta: DashboardMeta): string {
  const rows: { row: string; panels: string[] }[] = [];
  let current: { row: string; panels: string[] } | undefined;
  for (const panel of rendered) {
    if (!current || current.row !== panel.row) {
      current = { row: panel.row, panels: [] };
      rows.push(current);
    }
    current.panels.push(chart(panel, meta));
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(meta.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd}
.row{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;background:#fff;border:1px solid #ddd;padding:8px;width:560px}
figcaption{font-size:13px;margin-bottom:4px}.legend{font-size:12px}.key{display:inline-block;margin-right:12px}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px}small{color:#666}li{font-size:13px}
</style></head><body>
<h1>${escape(meta.title)}</h1>
<ul>${meta.notes.map((n) => `<li>${escape(n)}</li>`).join('')}</ul>
${rows.map((r) => `<h2>${escape(r.row)}</h2><div class="row">${r.panels.join('\n')}</div>`).join('\n')}
</body></html>
`;
}
