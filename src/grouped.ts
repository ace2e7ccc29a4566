/**
 * Numbers with thousands separators, as `toLocaleString('en-US')` writes them ("1,234,567.5"),
 * without it: the first call of `toLocaleString` loads the ICU locale data, ~28 ms of CPU in every
 * process that prints a count (measured on the development machine), where this costs nothing.
 * Halves round away from zero, as there. test/report/grouped.test.ts checks it against toLocaleString.
 */

/** `x` rounded to at most `maxFractionDigits` decimals (0: an integer), trailing zeros dropped, the integer part grouped by 3. */
export function grouped(x: number, maxFractionDigits = 0): string {
  if (!Number.isFinite(x)) return x !== x ? 'NaN' : x > 0 ? '∞' : '-∞'
  const scale = 10 ** maxFractionDigits
  const negative = x < 0
  const r = Math.round(Math.abs(x) * scale) / scale
  // An exact decimal string of r (toFixed), then trailing zeros and a bare point dropped.
  let s = maxFractionDigits > 0 ? r.toFixed(maxFractionDigits).replace(/0+$/, '').replace(/\.$/, '') : r.toFixed(0)
  const dot = s.indexOf('.')
  const int = dot < 0 ? s : s.slice(0, dot)
  s = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (dot < 0 ? '' : s.slice(dot))
  return negative && s !== '0' ? `-${s}` : s
}
