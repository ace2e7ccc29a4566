// Preloaded into a benchmarked tailsim process (node --require): at exit, prints one line
// `THREAD-CPU {"main": s, "others": [s, ...]}` to stderr: the CPU seconds (user + system, from
// /proc/self/task/*/stat) of the main thread and of every other thread still alive (the idle
// reader worker, V8 and libuv helpers; a hashing thread that has finished is no longer listed).
// Linux only; prints nothing elsewhere. Only the main process reports (not its worker threads).
const {readdirSync} = require('node:fs')
const {threadCpuSeconds} = require('./proc-cpu.cjs')
const {isMainThread} = require('node:worker_threads')

if (isMainThread) {
  process.on('exit', () => {
    try {
      const cpu = threadCpuSeconds
      const others = []
      for (const t of readdirSync('/proc/self/task')) if (Number(t) !== process.pid) others.push(cpu(t))
      process.stderr.write(`THREAD-CPU ${JSON.stringify({main: cpu(process.pid), others})}\n`)
    } catch {
      // not Linux: nothing to report
    }
  })
}
