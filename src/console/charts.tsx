// Bar charts as SVG rendered on the server: no script, no inline style (colours come from classes
// in the stylesheet), a <title> and <desc> for assistive technology. Each chart is shown with a
// table of the same figures, which is the accessible alternative; the chart is the overview.

import type { FC } from 'hono/jsx'

export interface Bar {
  value: number
  /** A class of the stylesheet that colours the bar (`chart-bar-…`). */
  className: string
  /** Read out as the bar's tooltip: the bucket and the figure in words. */
  label: string
}

export interface BarGroup {
  label: string
  bars: Bar[]
}

export interface LegendEntry {
  label: string
  className: string
}

const WIDTH = 720
const HEIGHT = 300
const MARGIN = { left: 52, right: 16, top: 50, bottom: 54 }
const MAX_X_LABELS = 16

/**
 * Groups of bars over a count axis from 0: requests per week (received beside decided), or
 * decisions per working day. `marker` draws a dashed line at a (fractional) group position.
 */
export const BarChart: FC<{
  id: string
  title: string
  description: string
  groups: BarGroup[]
  legend: LegendEntry[]
  xLabel: string
  marker?: { at: number; label: string } | undefined
}> = ({ id, title, description, groups, legend, xLabel, marker }) => {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom
  const top = niceTop(Math.max(0, ...groups.flatMap((g) => g.bars.map((b) => b.value))))
  const step = top / tickCount(top)
  const ticks = Array.from({ length: tickCount(top) + 1 }, (_, i) => i * step)
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight
  const groupWidth = groups.length === 0 ? plotWidth : plotWidth / groups.length
  const every = Math.max(1, Math.ceil(groups.length / MAX_X_LABELS))
  const bottom = MARGIN.top + plotHeight
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`} xmlns="http://www.w3.org/2000/svg">
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{description}</desc>
      {legend.map((entry, i) => (
        <g>
          <rect x={MARGIN.left + i * 150} y={8} width={14} height={14} class={entry.className} />
          <text x={MARGIN.left + i * 150 + 20} y={20} class="chart-label">
            {entry.label}
          </text>
        </g>
      ))}
      {ticks.map((tick) => (
        <g>
          <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={round(y(tick))} y2={round(y(tick))} class={tick === 0 ? 'chart-axis' : 'chart-grid'} />
          <text x={MARGIN.left - 6} y={round(y(tick)) + 4} class="chart-label" text-anchor="end">
            {formatTick(tick)}
          </text>
        </g>
      ))}
      {groups.map((group, g) => {
        const inner = groupWidth * 0.8
        const barWidth = group.bars.length === 0 ? 0 : inner / group.bars.length
        const left = MARGIN.left + g * groupWidth + (groupWidth - inner) / 2
        return (
          <g>
            {group.bars.map((bar, b) => (
              <rect x={round(left + b * barWidth)} y={round(y(bar.value))} width={round(Math.max(1, barWidth - 1))} height={round(bottom - y(bar.value))} class={bar.className}>
                <title>{bar.label}</title>
              </rect>
            ))}
            {g % every === 0 && (
              <text x={round(MARGIN.left + (g + 0.5) * groupWidth)} y={bottom + 16} class="chart-label" text-anchor="middle">
                {group.label}
              </text>
            )}
          </g>
        )
      })}
      {marker && groups.length > 0 && (
        <g>
          <line x1={round(MARGIN.left + (marker.at + 0.5) * groupWidth)} x2={round(MARGIN.left + (marker.at + 0.5) * groupWidth)} y1={MARGIN.top - 12} y2={bottom} class="chart-marker" />
          <text x={round(MARGIN.left + (marker.at + 0.5) * groupWidth) + 4} y={MARGIN.top - 4} class="chart-label chart-marker-label">
            {marker.label}
          </text>
        </g>
      )}
      <text x={MARGIN.left + plotWidth / 2} y={HEIGHT - 8} class="chart-label" text-anchor="middle">
        {xLabel}
      </text>
    </svg>
  )
}

/** The axis top: the maximum rounded up to a whole number of 1, 2 or 5 × 10ⁿ steps (at least 1). */
export function niceTop(max: number): number {
  if (max <= 0) return 1
  const step = niceStep(max / 4)
  return Math.ceil(max / step) * step
}

function niceStep(raw: number): number {
  if (raw <= 1) return 1
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const norm = raw / magnitude
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude
}

/** Ticks every nice step up to the top (at most 5 intervals above zero for small counts too). */
function tickCount(top: number): number {
  const step = niceStep(top / 4)
  return Math.max(1, Math.round(top / step))
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1)
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
