// Small-cell suppression for aggregate answers. A cell counting fewer than k records is not
// shown (its count is null). If exactly one cell of a table is suppressed, the next smallest is
// suppressed too, so that a total of the whole table obtained elsewhere (another grouping of the
// same records) minus the published cells does not give the suppressed count back. The answer's
// total counts published cells only, so it never helps recover a suppressed one. The same holds
// for the sums of summable fields (measures): a suppressed cell shows none, and the sums' totals
// cover published cells only.

/** k: groups of fewer records are suppressed (DESIGN.md: default 5). */
export const MIN_CELL_SIZE = 5

export interface Cell {
  values: (string | null)[]
  count: number
  /** Per measure: the sum of the group's values, and how many of its records have one. */
  sums: readonly number[]
  counted: readonly number[]
}

export interface SuppressedCell {
  values: (string | null)[]
  count: number | null
  suppressed: boolean
  /** Per measure; null when suppressed or when no record of the group has a value. */
  sums: (number | null)[]
  averages: (number | null)[]
}

export interface SuppressedTable {
  cells: SuppressedCell[]
  publishedTotal: number
  /** Per measure: the sum over published cells only. */
  publishedSums: number[]
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
  const publishedSums: number[] = cells[0]?.sums.map(() => 0) ?? []
  const out = cells.map((cell, i): SuppressedCell => {
    if (hidden.has(i)) return { values: cell.values, count: null, suppressed: true, sums: cell.sums.map(() => null), averages: cell.sums.map(() => null) }
    publishedTotal += cell.count
    cell.sums.forEach((sum, m) => (publishedSums[m]! += sum))
    return {
      values: cell.values,
      count: cell.count,
      suppressed: false,
      sums: cell.sums.map((sum, m) => (cell.counted[m] === 0 ? null : sum)),
      averages: cell.sums.map((sum, m) => (cell.counted[m] === 0 ? null : sum / cell.counted[m]!)),
    }
  })
  return { cells: out, publishedTotal, publishedSums, suppressedCells: hidden.size }
}
