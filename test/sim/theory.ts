/**
 * Closed-form queueing results used as test oracles. Times in any consistent unit; `mean` is the
 * mean service time S̄ and rho the per-server load ρ = λS̄/c.
 */

/** M/M/1 FCFS sojourn-time quantile: T ~ Exp(μ(1−ρ)), so q_p = −ln(1−p)·S̄/(1−ρ). */
export function mm1SojournQuantile(p: number, mean: number, rho: number): number {
  return (-Math.log(1 - p) * mean) / (1 - rho)
}

/** Erlang C: probability that an arrival waits in M/M/c with offered load a = cρ. */
export function erlangC(c: number, rho: number): number {
  const a = c * rho
  // Sum a^k/k! for k < c iteratively (stable for c up to a few hundred).
  let term = 1
  let sum = 1
  for (let k = 1; k < c; k++) {
    term *= a / k
    sum += term
  }
  const top = ((term * a) / c) * (1 / (1 - rho)) // a^c/c! · c/(c−a) = a^c/c! · 1/(1−ρ)
  return top / (sum + top)
}

/**
 * M/M/c FCFS sojourn T = W + S. W has an atom 1−C at 0 and, given W > 0, an Exp(γ) tail with
 * γ = cμ − λ = cμ(1−ρ); S ~ Exp(μ) is independent of W. Hence
 *   P(T > t) = (1−C)·e^{−μt} + C·P(E_γ + E_μ > t),
 *   P(E_γ + E_μ > t) = (γ·e^{−μt} − μ·e^{−γt})/(γ − μ)   (γ ≠ μ),   (1 + μt)·e^{−μt}   (γ = μ).
 */
export function mmcSojournTail(t: number, c: number, mean: number, rho: number): number {
  const mu = 1 / mean
  const C = erlangC(c, rho)
  const g = c * mu * (1 - rho)
  const eMu = Math.exp(-mu * t)
  const sum = Math.abs(g - mu) < 1e-12 * mu ? (1 + mu * t) * eMu : (g * eMu - mu * Math.exp(-g * t)) / (g - mu)
  return (1 - C) * eMu + C * sum
}

/** Solve P(T > t) = 1 − p for the M/M/c sojourn quantile by bisection (the tail is decreasing). */
export function mmcSojournQuantile(p: number, c: number, mean: number, rho: number): number {
  let lo = 0
  let hi = mean
  while (mmcSojournTail(hi, c, mean, rho) > 1 - p) hi *= 2
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2
    if (mmcSojournTail(mid, c, mean, rho) > 1 - p) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

/** M/M/c mean sojourn: S̄ + C/(cμ − λ). */
export function mmcMeanSojourn(c: number, mean: number, rho: number): number {
  return mean + (erlangC(c, rho) * mean) / (c * (1 - rho))
}

/** Pollaczek–Khinchine mean wait in M/G/1: λE[S²]/(2(1−ρ)) = ρ·S̄·(1 + cv²)/(2(1−ρ)). */
export function pkMeanWait(mean: number, cv2: number, rho: number): number {
  return (rho * mean * (1 + cv2)) / (2 * (1 - rho))
}

/** M/G/1-PS mean sojourn (insensitive to the service distribution): S̄/(1−ρ). */
export function ps1MeanSojourn(mean: number, rho: number): number {
  return mean / (1 - rho)
}
