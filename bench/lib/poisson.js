// The in-memory benchmark trace shared by the engine, IX and ZygOS benches: Poisson arrivals at
// `load` for `cores` cores, exponential service of mean `mean` cycles, uniform connections.
// `Rng` is passed in so that a bench can compare several builds of the library in one process.
export function poissonColumns({Rng, seed, n, load, cores, mean, connections = 2720}) {
  const rng = new Rng(seed)
  const arrival = new Float64Array(n)
  const conn = new Uint32Array(n)
  const service = new Float64Array(n)
  const rate = (load * cores) / mean
  let t = 0
  for (let i = 0; i < n; i++) {
    t += -Math.log(1 - rng.float()) / rate
    arrival[i] = Math.round(t)
    conn[i] = rng.int(connections)
    service[i] = Math.max(1, Math.round(-Math.log(1 - rng.float()) * mean))
  }
  return {arrival, conn, service}
}
