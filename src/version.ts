/** The tool's name and version, read once from the package.json above this module. */
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

function findPackageJson(): {name: string; version: string} {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json')
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as {name: string; version: string}
      if (pkg.name === 'tailsim') return pkg
    }
    dir = dirname(dir)
  }
  return {name: 'tailsim', version: '0.0.0'}
}

export const TOOL = findPackageJson()
