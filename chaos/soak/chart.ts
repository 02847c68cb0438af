/**
 * The soak's chart: a hand-written SVG of stacked line panels sharing one time axis (minutes),
 * each with its y axis, gridlines, a label and a legend. No dependency: the soak writes it
 * beside its JSON result, and docs/img/ holds the one of the last full run.
 */

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly { t: number; v: number }[];
  readonly dashed?: boolean;
}

/** A moment marked across every panel (a phase starting), labelled in the first. */
export interface Mark {
  readonly t: number;
  readonly label: string;
}

export interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly Series[];
}

const WIDTH = 960;
const PANEL_HEIGHT = 170;
const GAP = 46;
const LEFT = 70;
const RIGHT = 20;
const TOP = 44;

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toPrecision(3).replace(/\.?0+$/, ''));

/** About `count` round tick values from the last one at or below `min` to the first one at or above `max`. */
export function ticks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  const last = Math.ceil(max / step - 1e-9) * step;
  for (let v = Math.floor(min / step + 1e-9) * step; v <= last + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function panelSvg(panel: Panel, top: number, tMax: number, marks: readonly Mark[], labelMarks: boolean): string {
  const values = panel.series.flatMap((s) => s.points.map((p) => p.v)).filter(Number.isFinite);
  const vMax = values.length === 0 ? 1 : Math.max(...values);
  const vMin = values.length === 0 ? 0 : Math.min(0, ...values);
  const yTicks = ticks(vMin, vMax === vMin ? vMin + 1 : vMax, 4);
  const yTop = yTicks.at(-1)!;
  const plotW = WIDTH - LEFT - RIGHT;
  const x = (t: number): number => LEFT + (t / tMax) * plotW;
  const y = (v: number): number => top + PANEL_HEIGHT - ((v - vMin) / (yTop - vMin || 1)) * PANEL_HEIGHT;
  const parts: string[] = [`<text x="${LEFT}" y="${top - 8}" class="title">${escape(panel.title)} (${escape(panel.unit)})</text>`];
  for (const v of yTicks) {
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" class="tick" text-anchor="end">${fmt(v)}</text>`);
  }
  for (const minute of ticks(0, tMax / 60, 10).filter((m) => m * 60 <= tMax)) {
    parts.push(`<line x1="${x(minute * 60).toFixed(1)}" x2="${x(minute * 60).toFixed(1)}" y1="${top}" y2="${top + PANEL_HEIGHT}" class="grid"/>`);
    parts.push(`<text x="${x(minute * 60).toFixed(1)}" y="${top + PANEL_HEIGHT + 14}" class="tick" text-anchor="middle">${fmt(minute)}</text>`);
  }
  parts.push(`<rect x="${LEFT}" y="${top}" width="${plotW}" height="${PANEL_HEIGHT}" class="frame"/>`);
  let lastLabelX = Number.NEGATIVE_INFINITY;
  for (const mark of marks) {
    // A label too close to the one before (a phase of one sample) is left out; its line stays.
    const labelled = labelMarks && x(mark.t) - lastLabelX > 50;
    if (labelled) lastLabelX = x(mark.t);
    parts.push(`<line x1="${x(mark.t).toFixed(1)}" x2="${x(mark.t).toFixed(1)}" y1="${top}" y2="${top + PANEL_HEIGHT}" class="mark"/>`);
    // Near the right edge the label goes to the left of its line.
    const left = x(mark.t) > WIDTH - RIGHT - 60;
    if (labelled) parts.push(`<text x="${(x(mark.t) + (left ? -3 : 3)).toFixed(1)}" y="${top + 11}" class="tick"${left ? ' text-anchor="end"' : ''}>${escape(mark.label)}</text>`);
  }
  let legendX = WIDTH - RIGHT;
  for (const s of [...panel.series].reverse()) {
    const text = escape(s.label);
    legendX -= text.length * 6.6 + 40;
    parts.push(`<line x1="${legendX}" x2="${legendX + 18}" y1="${top - 12}" y2="${top - 12}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<text x="${legendX + 22}" y="${top - 8}" class="legend">${text}</text>`);
  }
  for (const s of panel.series) {
    // A missing value (NaN) breaks the line rather than drawing it through zero.
    const runs: string[][] = [[]];
    for (const p of s.points) {
      if (Number.isFinite(p.v)) runs.at(-1)!.push(`${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
      else if (runs.at(-1)!.length > 0) runs.push([]);
    }
    for (const run of runs.filter((r) => r.length > 0)) {
      parts.push(`<polyline points="${run.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    }
  }
  return parts.join('\n');
}

/** The SVG of `panels` stacked, over [0, tMax] seconds, under `title`, with `marks` across them. */
export function renderChart(title: string, panels: readonly Panel[], tMax: number, marks: readonly Mark[] = []): string {
  const height = TOP + panels.length * (PANEL_HEIGHT + GAP) + 10;
  const body = panels.map((panel, i) => panelSvg(panel, TOP + 16 + i * (PANEL_HEIGHT + GAP), Math.max(tMax, 1), marks, i === 0)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">
<style>
.title { font-size: 13px; font-weight: bold; fill: #222; }
.tick { font-size: 11px; fill: #555; }
.legend { font-size: 11px; fill: #333; }
.grid { stroke: #e4e4e4; stroke-width: 1; }
.frame { fill: none; stroke: #999; stroke-width: 1; }
.mark { stroke: #777; stroke-width: 1; stroke-dasharray: 2 3; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${LEFT}" y="22" font-size="15" font-weight="bold" fill="#111">${escape(title)}</text>
<text x="${WIDTH - RIGHT}" y="${height - 6}" class="tick" text-anchor="end">minutes since start</text>
${body}
</svg>
`;
}
