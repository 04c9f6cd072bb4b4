// Small-cell suppression for aggregate answers. A cell counting fewer than k records is not
// shown (its count is null). If exactly one cell of a table is suppressed, the next smallest is
// suppressed too, so that a total of the whole table obtained elsewhere (another grouping of the
// same records) minus the published cells does not give the suppressed count back. The answer's
// total counts published cells only, so it never helps recover a suppressed one.

/** k: groups of fewer records are suppressed (DESIGN.md: default 5). */
export const MIN_CELL_SIZE = 5

export interface Cell {
  values: (string | null)[]
  count: number
}

export interface SuppressedTable {
  cells: { values: (string | null)[]; count: number | null; suppressed: boolean }[]
  publishedTotal: number
  suppressedCells: number
}

export function suppressSmallCells(cells: readonly Cell[], k: number = MIN_CELL_SIZE): SuppressedTable {
  const hidden = new Set<number>()
  cells.forEach((cell, i) => {
    if (cell.count < k) hidden.add(i)
  })
  if (hidden.size === 1 && cells.length > 1) {
    let smallest = -1
    cells.forEach((cell, i) => {
      if (!hidden.has(i) && (smallest === -1 || cell.count < cells[smallest]!.count)) smallest = i
    })
    if (smallest !== -1) hidden.add(smallest)
  }
  let publishedTotal = 0
  const out = cells.map((cell, i) => {
    if (hidden.has(i)) return { values: cell.values, count: null, suppressed: true }
    publishedTotal += cell.count
    return { values: cell.values, count: cell.count, suppressed: false }
  })
  return { cells: out, publishedTotal, suppressedCells: hidden.size }
}
