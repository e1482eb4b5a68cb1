/** Recyclables are credited at market price, one point a yuan, whole points only (the rest is not carried over). */
export function recyclablePoints(grams: number, pricePerKg: number): number {
  return Math.floor((grams * Math.round(pricePerKg * 100)) / 100_000);
}
