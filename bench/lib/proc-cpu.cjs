// CPU seconds (user + system) a thread of this process has used, from /proc/self/task/TID/stat
// (Linux only: throws elsewhere). USER_HZ is 100, so the resolution is 10 ms.
const {readFileSync} = require('node:fs')

function threadCpuSeconds(tid) {
  const st = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

module.exports = {threadCpuSeconds}
