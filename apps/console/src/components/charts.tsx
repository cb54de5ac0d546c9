import { formatCount, formatDay, formatPercent } from '../lib/format'

/**
 * Plain SVG charts: no chart library (the console works offline and stays small), and SVG geometry
 * is attributes, not inline styles, so the console's CSP needs no 'unsafe-inline'. Every chart has
 * its numbers as text beside or under it, so it reads without the picture.
 */

export type Bar = { key: string; label: string; value: number; tone?: string }

/** Horizontal bars against a common scale (`of`: the 100 % of the percentages; default the largest). */
export function HorizontalBars({ bars, of, caption }: { bars: Bar[]; of?: number; caption: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value))
  const whole = of ?? max
  return (
    <figure className="hbars">
      <figcaption>{caption}</figcaption>
      <ul>
        {bars.map((b) => (
          <li key={b.key}>
            <span className="hbar-label">{b.label}</span>
            <svg className="hbar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
              <rect className="hbar-track" x="0" y="0" width="100" height="10" />
              <rect
                className={`hbar-fill tone-${b.tone ?? 'default'}`}
                x="0"
                y="0"
                width={(b.value / max) * 100}
                height="10"
              />
            </svg>
            <span className="hbar-value">
              <span data-testid={`bar-${b.key}`}>{formatCount(b.value)}</span>
              {of !== undefined && <span className="muted"> {formatPercent(b.value, whole)}</span>}
            </span>
          </li>
        ))}
      </ul>
    </figure>
  )
}

export type Day = { day: string; created: number; approved: number; rejected: number }

/**
 * Approvals (up) and rejections (down) per UTC day of creation, the day's created count as a light
 * bar behind; the table under it holds the same numbers.
 */
export function PerDayChart({ days }: { days: Day[] }) {
  const max = Math.max(1, ...days.map((d) => Math.max(d.created, d.approved, d.rejected)))
  const w = 10
  const h = 60
  const totals = days.reduce(
    (t, d) => ({
      created: t.created + d.created,
      approved: t.approved + d.approved,
      rejected: t.rejected + d.rejected,
    }),
    { created: 0, approved: 0, rejected: 0 },
  )
  return (
    <figure className="perday">
      <figcaption>
        Approvals and rejections per day of creation ({formatCount(totals.approved)} approved,{' '}
        {formatCount(totals.rejected)} rejected of {formatCount(totals.created)} created)
      </figcaption>
      <svg
        viewBox={`0 0 ${Math.max(1, days.length) * w} ${h * 2 + 2}`}
        preserveAspectRatio="none"
        role="img"
        aria-label="Approvals and rejections per day"
      >
        {days.map((d, i) => (
          <g key={d.day}>
            <title>{`${formatDay(d.day)}: ${d.created} created, ${d.approved} approved, ${d.rejected} rejected`}</title>
            <rect
              className="day-created"
              x={i * w + 1}
              y={h - (d.created / max) * h}
              width={w - 2}
              height={(d.created / max) * h}
            />
            <rect
              className="day-approved"
              x={i * w + 2.5}
              y={h - (d.approved / max) * h}
              width={w - 5}
              height={(d.approved / max) * h}
            />
            <rect
              className="day-rejected"
              x={i * w + 2.5}
              y={h + 2}
              width={w - 5}
              height={(d.rejected / max) * h}
            />
          </g>
        ))}
        <line className="axis" x1="0" x2={days.length * w} y1={h + 1} y2={h + 1} />
      </svg>
      <div className="perday-axis" aria-hidden="true">
        <span>{days[0] ? formatDay(days[0].day) : ''}</span>
        <span>{days.length ? formatDay(days[days.length - 1]!.day) : ''}</span>
      </div>
      <details>
        <summary>The numbers per day</summary>
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">day (UTC)</th>
              <th scope="col">created</th>
              <th scope="col">approved</th>
              <th scope="col">rejected</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <td>{d.day}</td>
                <td>{formatCount(d.created)}</td>
                <td>{formatCount(d.approved)}</td>
                <td>{formatCount(d.rejected)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  )
}
