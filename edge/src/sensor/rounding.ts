/** Rounds to a number of decimals, as the readings are published (2 for °C, 1 for %RH and hPa). */
export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  const rounded = Math.round(value * factor) / factor;
  return Object.is(rounded, -0) ? 0 : rounded;
}
