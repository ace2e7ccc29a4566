// The in-memory benchmark traces shared by the benches. poissonColumns: Poisson arrivals at
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

// The 99.5 % x 0.5 us + 0.5 % x 500 us bimodal with a type column (short, long; 2.4 GHz cycles):
// Poisson arrivals at `load` for `cores` cores, uniform connections.
export function bimodalColumns({Rng, seed, n, load, cores, connections = 2720}) {
  const rng = new Rng(seed)
  const mean = 0.995 * 1200 + 0.005 * 1_200_000
  const rate = (load * cores) / mean
  const arrival = new Float64Array(n)
  const conn = new Uint32Array(n)
  const service = new Float64Array(n)
  const type = new Uint16Array(n)
  let t = 0
  for (let i = 0; i < n; i++) {
    t += -Math.log(1 - rng.float()) / rate
    arrival[i] = Math.round(t)
    conn[i] = rng.int(connections)
    const long = rng.float() < 0.005
    service[i] = long ? 1_200_000 : 1200
    type[i] = long ? 1 : 0
  }
  return {arrival, conn, service, type, typeNames: ['short', 'long']}
}
