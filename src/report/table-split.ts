/**
 * Cutting a wide text table into several that each fit a terminal width: every part repeats the
 * key columns (the first `keys`) and takes as many of the other columns, in order, as fit.
 */

/** Width of a cli-table3 column holding these texts (one space of padding each side, one border). */
const colWidth = (texts: readonly string[]): number => Math.max(...texts.map((t) => [...t].length)) + 3

/**
 * Column indexes of each part of a table whose header and rows are `lines` (every line the same
 * length), at most `width` characters wide where possible (a column too wide on its own gets a part
 * of its own with the keys).
 */
export function splitColumns(lines: readonly (readonly string[])[], keys: number, width: number): number[][] {
  const n = lines[0]?.length ?? 0
  const w = Array.from({length: n}, (_, c) => colWidth(lines.map((l) => l[c])))
  const keyCols = Array.from({length: Math.min(keys, n)}, (_, c) => c)
  const base = 1 + keyCols.reduce((a, c) => a + w[c], 0)
  const parts: number[][] = []
  let cur: number[] = []
  let used = base
  for (let c = keyCols.length; c < n; c++) {
    if (cur.length > 0 && used + w[c] > width) {
      parts.push([...keyCols, ...cur])
      cur = []
      used = base
    }
    cur.push(c)
    used += w[c]
  }
  if (cur.length > 0 || parts.length === 0) parts.push([...keyCols, ...cur])
  return parts
}
