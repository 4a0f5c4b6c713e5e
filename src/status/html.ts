// The status page as one HTML document rendered on the server: inline CSS and SVG, no
// script, no front-end build. Readable at 1280x800 and at a phone's width: tables and the
// drawings too wide for the screen scroll inside their own box, the page itself never sideways.
import type { CalibrationPoint, PnlPoint, StatusData } from './data.ts';

export function esc(v: unknown): string {
  return String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

function table(id: string, head: string[], rows: string[][], empty: string): string {
  if (!rows.length) return `<p class="empty" id="${id}">${esc(empty)}</p>`;
  return `<div class="scroll"><table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

/** Sources (tables) on the left, registered objects by level, the plain views apps read on the right. */
export function lineageSvg(data: StatusData): string {
  const registered = new Map(data.objects.map((o) => [o.object, o]));
  const columns = new Map<string, number>();
  for (const o of data.objects) columns.set(o.object, o.level + 1);
  const sources = new Set<string>();
  for (const e of data.edges) if (!registered.has(e.parent)) sources.add(e.parent);
  for (const v of data.views) for (const r of v.reads) if (!registered.has(r) && !data.views.some((w) => w.view === r)) sources.add(r);
  for (const s of sources) columns.set(s, 0);
  const maxLevel = Math.max(0, ...data.objects.map((o) => o.level + 1));
  const viewCol = (name: string, seen = new Set<string>()): number => {
    const v = data.views.find((w) => w.view === name);
    if (!v || seen.has(name)) return maxLevel + 1;
    seen.add(name);
    return Math.max(
      maxLevel + 1,
      ...v.reads.map((r) => (data.views.some((w) => w.view === r) ? viewCol(r, seen) + 1 : (columns.get(r) ?? 0) + 1)),
    );
  };
  for (const v of data.views) columns.set(v.view, viewCol(v.view));

  const byCol = new Map<number, string[]>();
  for (const [name, col] of columns) byCol.set(col, [...(byCol.get(col) ?? []), name]);
  for (const list of byCol.values()) list.sort();
  const colW = 250;
  const rowH = 34;
  const boxW = 210;
  const pos = new Map<string, { x: number; y: number }>();
  const cols = [...byCol.keys()].sort((a, b) => a - b);
  cols.forEach((col, i) => byCol.get(col)!.forEach((name, j) => pos.set(name, { x: 10 + i * colW, y: 30 + j * rowH })));
  const height = 40 + Math.max(1, ...[...byCol.values()].map((l) => l.length)) * rowH;
  const width = 20 + cols.length * colW;

  const lines: string[] = [];
  const edge = (from: string, to: string, cls: string) => {
    const a = pos.get(from);
    const b = pos.get(to);
    if (!a || !b) return;
    const x1 = a.x + boxW;
    const y1 = a.y + 12;
    const x2 = b.x;
    const y2 = b.y + 12;
    const mid = (x1 + x2) / 2;
    lines.push(`<path class="edge ${cls}" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}"/>`);
  };
  for (const e of data.edges) edge(e.parent, e.dependent, 'refresh');
  for (const v of data.views) for (const r of v.reads) edge(r, v.view, 'view');
  const headings = cols.map((col, i) => {
    const label = col === 0 ? 'sources' : col > maxLevel ? 'views apps read' : `level ${col - 1}`;
    return `<text class="heading" x="${10 + i * colW}" y="16">${esc(label)}</text>`;
  });
  const nodes = [...pos].map(([name, p]) => {
    const o = registered.get(name);
    const kind = o ? `state-${o.state}` : data.views.some((v) => v.view === name) ? 'view' : 'source';
    const title = o ? `${name}: ${o.state}${o.reason ? ` (${o.reason})` : ''}` : name;
    return `<g class="node ${esc(kind)}" data-object="${esc(name)}"><title>${esc(title)}</title><rect x="${p.x}" y="${p.y}" width="${boxW}" height="24" rx="4"/><text x="${p.x + 6}" y="${p.y + 16}">${esc(name.length > 32 ? `${name.slice(0, 31)}…` : name)}</text></g>`;
  });
  return `<svg id="lineage" role="img" aria-label="refresh lineage" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${headings.join('')}${lines.join('')}${nodes.join('')}</svg>`;
}

/** Observed win rate against mean stated probability per bucket; the diagonal is perfect calibration. */
export function calibrationSvg(model: string, points: CalibrationPoint[]): string {
  const S = 200;
  const M = 28;
  const x = (p: number) => M + p * S;
  const y = (p: number) => M + S - p * S;
  const dots = points
    .map(
      (p) =>
        `<circle cx="${x(p.mean_probability).toFixed(1)}" cy="${y(p.observed_rate).toFixed(1)}" r="${Math.min(9, 2 + Math.sqrt(p.predictions) / 3).toFixed(1)}"><title>${esc(
          `bucket ${p.bucket}: ${p.predictions} predictions, stated ${fmt(p.mean_probability)}, observed ${fmt(p.observed_rate)}`,
        )}</title></circle>`,
    )
    .join('');
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.mean_probability).toFixed(1)},${y(p.observed_rate).toFixed(1)}`).join(' ');
  const ticks = [0, 0.5, 1]
    .map(
      (t) =>
        `<text x="${x(t)}" y="${M + S + 16}" text-anchor="middle">${t}</text><text x="${M - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`,
    )
    .join('');
  return `<figure class="calibration"><svg class="calibration-chart" viewBox="0 0 ${S + 2 * M} ${S + 2 * M}" width="100%" role="img" aria-label="${esc(
    `calibration of ${model}`,
  )}"><rect class="frame" x="${M}" y="${M}" width="${S}" height="${S}"/><line class="diagonal" x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}"/>${ticks}<path class="curve" d="${path}"/>${dots}</svg><figcaption>${esc(
    model,
  )}</figcaption></figure>`;
}

/** Cumulative P&L of each strategy by day. */
export function pnlSvg(points: PnlPoint[]): string {
  if (!points.length) return '<p class="empty" id="pnl-empty">No settled bets in the daily rollup yet.</p>';
  const days = [...new Set(points.map((p) => p.day))].sort();
  const strategies = [...new Set(points.map((p) => p.strategy))];
  const W = 720;
  const H = 260;
  const M = 46;
  const lo = Math.min(0, ...points.map((p) => p.cumulative));
  const hi = Math.max(0, ...points.map((p) => p.cumulative));
  const span = hi - lo || 1;
  const x = (d: string) => M + (days.length === 1 ? (W - 2 * M) / 2 : (days.indexOf(d) / (days.length - 1)) * (W - 2 * M));
  const y = (v: number) => H - M - ((v - lo) / span) * (H - 2 * M);
  const series = strategies.map((s, i) => {
    const pts = points.filter((p) => p.strategy === s);
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${x(p.day).toFixed(1)},${y(p.cumulative).toFixed(1)}`).join(' ');
    const dots = pts
      .map(
        (p) =>
          `<circle cx="${x(p.day).toFixed(1)}" cy="${y(p.cumulative).toFixed(1)}" r="3"><title>${esc(`${s} ${p.day}: day ${fmt(p.pnl)}, total ${fmt(p.cumulative)}`)}</title></circle>`,
      )
      .join('');
    return `<g class="series" style="color:${COLORS[i % COLORS.length]}" data-strategy="${esc(s)}"><path d="${d}"/>${dots}</g>`;
  });
  const legend = strategies
    .map((s, i) => `<text x="${M + i * 200}" y="${H - 8}" fill="${COLORS[i % COLORS.length]}">■ ${esc(s)}</text>`)
    .join('');
  const axis = `<line class="zero" x1="${M}" x2="${W - M}" y1="${y(0)}" y2="${y(0)}"/><text x="${M - 6}" y="${y(hi) + 4}" text-anchor="end">${fmt(hi, 0)}</text><text x="${M - 6}" y="${y(lo) + 4}" text-anchor="end">${fmt(lo, 0)}</text><text x="${M}" y="${H - M + 16}">${esc(days[0])}</text><text x="${W - M}" y="${H - M + 16}" text-anchor="end">${esc(days[days.length - 1])}</text>`;
  return `<svg id="pnl" role="img" aria-label="strategy P&amp;L by day" viewBox="0 0 ${W} ${H}" width="100%">${axis}${series.join('')}${legend}</svg>`;
}

const CSS = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#17324d;color:#fff;padding:12px 20px}header h1{font-size:20px;margin:0}header p{margin:2px 0 0;opacity:.8}
main{max-width:1280px;margin:0 auto;padding:12px 16px}section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 14px;margin:12px 0}
h2{font-size:16px;margin:0 0 8px}.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceff2;vertical-align:top}th{background:#f0f2f5;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}.empty{color:#5f6b7a;font-style:italic}
.badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;color:#fff}.b-fresh{background:#2e7d32}.b-stale{background:#b26a00}.b-failed{background:#c62828}.b-blocked{background:#6a1b9a}
.summary{display:flex;flex-wrap:wrap;gap:10px}.summary div{flex:1 1 140px;background:#f0f2f5;border-radius:6px;padding:8px 10px}.summary b{display:block;font-size:22px}
svg text{font-size:12px;fill:#1b1f24}svg .heading{font-weight:600;fill:#5f6b7a}
.node rect{fill:#e8eef5;stroke:#8aa1b8}.node.source rect{fill:#fff;stroke:#9aa5b1;stroke-dasharray:3 2}.node.view rect{fill:#e6f4ea;stroke:#4c9a5b}
.node.state-stale rect{fill:#fff4e0;stroke:#b26a00}.node.state-failed rect{fill:#fde7e7;stroke:#c62828}.node.state-blocked rect{fill:#f3e5f5;stroke:#6a1b9a}
.edge{fill:none;stroke:#9aa5b1;stroke-width:1.2}.edge.view{stroke:#4c9a5b;stroke-dasharray:4 3}
.calibrations{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}figure{margin:0}figcaption{text-align:center;font-size:13px}
.calibration .frame{fill:#fafbfc;stroke:#c7ced6}.calibration .diagonal{stroke:#9aa5b1;stroke-dasharray:4 3}.calibration .curve{fill:none;stroke:#1f77b4;stroke-width:1.5}.calibration circle{fill:#1f77b4;fill-opacity:.7}
#pnl{max-width:860px;min-width:520px;display:block}#lineage{min-width:880px;display:block}#pnl .series path{fill:none;stroke:currentColor;stroke-width:2}#pnl .series circle{fill:currentColor}#pnl .zero{stroke:#c7ced6}
`;

export function renderStatusPage(data: StatusData): string {
  const stale = data.objects.filter((o) => o.state !== 'fresh');
  const breached = data.objects.filter((o) => o.sla_breached);
  const queued = data.queue.filter((q) => q.state === 'queued').reduce((a, q) => a + q.n, 0);
  const badge = (s: string) => `<span class="badge b-${esc(s)}">${esc(s)}</span>`;
  const models = [...new Set(data.calibration.map((c) => c.model))];
  const sections = [
    `<section id="summary"><h2>Summary</h2><div class="summary"><div><b>${data.objects.length - stale.length}/${data.objects.length}</b>objects fresh</div><div><b>${breached.length}</b>SLA breaches</div><div><b>${queued}</b>jobs queued</div><div><b>${data.failedRuns.length}</b>recent failed runs</div></div></section>`,
    `<section id="stale"><h2>What is not fresh, and why</h2>${table(
      'stale-table',
      ['object', 'state', 'reason', 'stale since', 'last success'],
      stale.map((o) => [esc(o.object), badge(o.state), esc(o.reason), esc(o.stale_since), esc(o.last_success)]),
      'Every registered object is fresh.',
    )}</section>`,
    `<section id="sla"><h2>SLA breaches</h2>${table(
      'sla-table',
      ['object', 'state', 'reason'],
      breached.map((o) => [esc(o.object), badge(o.state), esc(o.reason)]),
      'No object is stale longer than its SLA.',
    )}</section>`,
    `<section id="lineage-section"><h2>Refresh lineage</h2><div class="scroll drawing">${lineageSvg(data)}</div></section>`,
    `<section id="queue"><h2>Queue</h2>${table(
      'queue-table',
      ['task', 'state', 'jobs'],
      data.queue.map((q) => [esc(q.task), esc(q.state), `<span class="num">${q.n}</span>`]),
      'The queue is empty.',
    )}</section>`,
    `<section id="failures"><h2>Recent failed refresh runs</h2>${table(
      'failed-runs',
      ['run', 'object', 'finished', 'SQLSTATE', 'message'],
      data.failedRuns.map((r) => [
        esc(r.run_id),
        esc(r.object_name),
        esc(r.finished_at),
        `<code>${esc(r.error_sqlstate)}</code>`,
        esc(r.error_message),
      ]),
      'No failed refresh runs.',
    )}<h2>Jobs failed for good</h2>${table(
      'failed-jobs',
      ['job', 'task', 'attempts', 'last error'],
      data.failedJobs.map((j) => [esc(j.job_id), esc(j.task), esc(j.attempts), esc(j.last_error)]),
      'No failed jobs.',
    )}</section>`,
    `<section id="leaderboard"><h2>Model leaderboard (current seasons)</h2>${table(
      'leaderboard-table',
      ['model', 'matches', 'points', 'avg points', 'win rate', 'units'],
      data.leaderboard.map((r) => [
        esc(r.model),
        `<span class="num">${r.total_matches}</span>`,
        `<span class="num">${fmt(r.total_points, 0)}</span>`,
        `<span class="num">${fmt(r.avg_points)}</span>`,
        `<span class="num">${fmt(r.win_rate === null ? null : r.win_rate * 100, 1)}%</span>`,
        `<span class="num">${fmt(r.total_units)}</span>`,
      ]),
      'No scored model predictions in current seasons yet.',
    )}</section>`,
    `<section id="calibration"><h2>Calibration (stated probability against observed win rate)</h2>${
      models.length
        ? `<div class="calibrations">${models
            .map((m) =>
              calibrationSvg(
                m,
                data.calibration.filter((c) => c.model === m),
              ),
            )
            .join('')}</div>`
        : '<p class="empty">No calibrated predictions yet (stats.model_calibration is empty or not refreshed).</p>'
    }</section>`,
    `<section id="strategies"><h2>Strategy P&amp;L, cumulative by day</h2><div class="scroll drawing">${pnlSvg(data.pnl)}</div></section>`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>scoreline status — ${esc(data.database)}</title><style>${CSS}</style></head>
<body><header><h1>scoreline status</h1><p>database ${esc(data.database)} · generated ${esc(data.generatedAt)}</p></header>
<main>${sections.join('\n')}</main></body></html>
`;
}
