import {
  chart,
  escape,
  formatValue,
  GrafanaBoard,
  legend,
  panelQueries,
  renderDashboardHtml,
} from './dashboard-render';

describe('bench dashboard render', () => {
  it('formats values in the Grafana unit of the panel', () => {
    expect(formatValue(0.0123, 's')).toBe('12.3 ms');
    expect(formatValue(2.5, 's')).toBe('2.5 s');
    expect(formatValue(3 * 1024 * 1024, 'bytes')).toBe('3 MiB');
    expect(formatValue(0.256, 'percentunit')).toBe('25.6 %');
    expect(formatValue(41.234, 'reqps')).toBe('41.2/s');
    expect(formatValue(7, undefined)).toBe('7');
    expect(formatValue(NaN, 's')).toBe('-');
  });

  it('fills legend placeholders from the series labels, or shows the labels', () => {
    expect(legend('{{method}} {{ route }}', { method: 'GET', route: '/v1/auth/me' })).toBe('GET /v1/auth/me');
    expect(legend('{{missing}}', { a: '1' })).toBe('{"a":"1"}');
    expect(legend(undefined, { a: '1' })).toBe('{"a":"1"}');
  });

  it('escapes text for HTML', () => {
    expect(escape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it("takes each panel's row and makes its queries runnable outside Grafana", () => {
    const board: GrafanaBoard = {
      panels: [
        { type: 'row', title: 'Traffic' },
        {
          type: 'timeseries',
          title: 'Request rate',
          fieldConfig: { defaults: { unit: 'reqps' } },
          targets: [
            { expr: 'sum by (route) (rate(x{instance=~"$instance"}[$__rate_interval]))', legendFormat: '{{route}}' },
          ],
        },
        { type: 'row', title: 'Process' },
        { type: 'stat', title: 'No queries' },
      ],
    };
    expect(panelQueries(board)).toEqual([
      {
        row: 'Traffic',
        title: 'Request rate',
        description: undefined,
        unit: 'reqps',
        queries: [{ query: 'sum by (route) (rate(x{instance=~".*"}[5s]))', legendFormat: '{{route}}' }],
      },
      { row: 'Process', title: 'No queries', description: undefined, unit: undefined, queries: [] },
    ]);
  });

  it('draws a gap in a series as a break in its line, and a lone point as a dot', () => {
    const svg = chart(
      {
        row: 'r',
        title: 'T',
        unit: 's',
        series: [
          {
            name: 'a',
            points: [
              [0, 1],
              [1, 2],
              [2, NaN],
              [3, 1],
            ],
          },
        ],
      },
      { start: 0, end: 3 },
    );
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg.match(/<circle/g)).toHaveLength(1);
    expect(svg).toContain('last 1 s, max 2 s');
  });

  it('renders one page: title, notes, a heading per row and every panel, all escaped', () => {
    const html = renderDashboardHtml(
      [
        { row: 'Traffic', title: 'Rate <1>', series: [] },
        { row: 'Traffic', title: 'Latency', series: [] },
        { row: 'Process', title: 'CPU', series: [] },
      ],
      { title: 'Run & render', start: 0, end: 60, notes: ['<session>'] },
    );
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<h1>Run &amp; render</h1>');
    expect(html).toContain('<li>&lt;session&gt;</li>');
    expect(html.match(/<h2>/g)).toHaveLength(2);
    expect(html.match(/<figure>/g)).toHaveLength(3);
    expect(html).toContain('Rate &lt;1&gt;');
    expect(html).toContain('<small>no data</small>');
  });
});
