/**
 * Browser-free checks of rendered output: a strict little XML parser (enough for SVG: elements,
 * attributes in double quotes, text, comments, entities) and a PNG decoder (chunk CRCs, IHDR,
 * zlib, scanline filters) for 8-bit RGB/RGBA images.
 */
import {crc32, inflateSync} from 'node:zlib'

export interface XmlElement {
  name: string
  attrs: Record<string, string>
  children: XmlElement[]
  text: string
}

const TAG = /<([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"<]*")*)\s*(\/?)>/y
const CLOSE = /<\/([A-Za-z_][\w:.-]*)\s*>/y
const ATTR = /([A-Za-z_][\w:.-]*)="([^"<]*)"/g
const ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/

/** Parse an XML document; throws on anything malformed (unbalanced tags, bad attributes, stray `&`). */
export function parseXml(doc: string): XmlElement {
  const root: XmlElement = {name: '#document', attrs: {}, children: [], text: ''}
  const stack: XmlElement[] = [root]
  let i = 0
  while (i < doc.length) {
    const lt = doc.indexOf('<', i)
    const text = lt < 0 ? doc.slice(i) : doc.slice(i, lt)
    if (ENTITY.test(text)) throw new Error(`bad entity in text near offset ${i}`)
    if (text.trim() !== '' && stack.length === 1) throw new Error(`text outside the root element near offset ${i}`)
    stack[stack.length - 1].text += text
    if (lt < 0) break
    if (doc.startsWith('<!--', lt)) {
      const end = doc.indexOf('-->', lt)
      if (end < 0) throw new Error('unterminated comment')
      i = end + 3
      continue
    }
    if (doc.startsWith('<?', lt)) {
      const end = doc.indexOf('?>', lt)
      if (end < 0) throw new Error('unterminated processing instruction')
      i = end + 2
      continue
    }
    CLOSE.lastIndex = lt
    const c = CLOSE.exec(doc)
    if (c !== null) {
      const top = stack.pop()
      if (top === undefined || top.name !== c[1]) throw new Error(`</${c[1]}> closes <${top?.name}> at offset ${lt}`)
      i = CLOSE.lastIndex
      continue
    }
    TAG.lastIndex = lt
    const m = TAG.exec(doc)
    if (m === null) throw new Error(`malformed tag at offset ${lt}: ${doc.slice(lt, lt + 80)}`)
    const attrs: Record<string, string> = {}
    for (const a of m[2].matchAll(ATTR)) {
      if (a[1] in attrs) throw new Error(`duplicate attribute ${a[1]} on <${m[1]}>`)
      if (ENTITY.test(a[2])) throw new Error(`bad entity in attribute ${a[1]}`)
      attrs[a[1]] = a[2]
    }
    const el: XmlElement = {name: m[1], attrs, children: [], text: ''}
    const parent = stack[stack.length - 1]
    if (parent === root && root.children.length > 0) throw new Error('more than one root element')
    parent.children.push(el)
    if (m[3] !== '/') stack.push(el)
    i = TAG.lastIndex
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1].name}>`)
  if (root.children.length !== 1) throw new Error('no root element')
  return root.children[0]
}

/** Every element of a tree, depth first. */
export function* walk(el: XmlElement): Generator<XmlElement> {
  yield el
  for (const c of el.children) yield* walk(c)
}

/** Elements whose `class` attribute has all the given class names. */
export function byClass(root: XmlElement, ...names: string[]): XmlElement[] {
  return [...walk(root)].filter((e) => {
    const cls = (e.attrs.class ?? '').split(/\s+/)
    return names.every((n) => cls.includes(n))
  })
}

/** All text content under an element. */
export function textOf(el: XmlElement): string {
  return el.text + el.children.map(textOf).join('')
}

export interface DecodedPng {
  width: number
  height: number
  /** Channels per pixel (3 RGB, 4 RGBA). */
  channels: number
  /** Unfiltered pixels, row-major, `channels` bytes each. */
  pixels: Uint8Array
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** Decode a PNG, checking its signature, every chunk CRC, IHDR and the image data size. */
export function decodePng(png: Uint8Array): DecodedPng {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength)
  for (let k = 0; k < 8; k++) if (buf[k] !== SIGNATURE[k]) throw new Error('not a PNG signature')
  let off = 8
  let width = 0
  let height = 0
  let channels = 0
  const idat: Buffer[] = []
  let sawEnd = false
  let first = true
  while (off < buf.length) {
    const len = buf.readUInt32BE(off)
    const type = buf.toString('latin1', off + 4, off + 8)
    const data = buf.subarray(off + 8, off + 8 + len)
    const crc = buf.readUInt32BE(off + 8 + len)
    if (crc32(buf.subarray(off + 4, off + 8 + len)) !== crc) throw new Error(`bad CRC in chunk ${type}`)
    if (first && type !== 'IHDR') throw new Error('first chunk is not IHDR')
    first = false
    if (type === 'IHDR') {
      width = data.readUInt32BE(0)
      height = data.readUInt32BE(4)
      const depth = data[8]
      const colour = data[9]
      if (depth !== 8 || (colour !== 2 && colour !== 6) || data[12] !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour ${colour}, interlace ${data[12]}`)
      channels = colour === 6 ? 4 : 3
    } else if (type === 'IDAT') idat.push(Buffer.from(data))
    else if (type === 'IEND') {
      sawEnd = true
      break
    }
    off += 12 + len
  }
  if (!sawEnd) throw new Error('no IEND chunk')
  if (!(width > 0 && height > 0)) throw new Error('empty image')
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * channels
  if (raw.length !== height * (stride + 1)) throw new Error(`image data is ${raw.length} bytes, expected ${height * (stride + 1)}`)
  const px = new Uint8Array(height * stride)
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]
    const src = y * (stride + 1) + 1
    const dst = y * stride
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[dst + x - channels] : 0
      const b = y > 0 ? px[dst - stride + x] : 0
      const c = x >= channels && y > 0 ? px[dst - stride + x - channels] : 0
      const v = raw[src + x]
      let p: number
      switch (f) {
        case 0:
          p = v
          break
        case 1:
          p = v + a
          break
        case 2:
          p = v + b
          break
        case 3:
          p = v + ((a + b) >> 1)
          break
        case 4: {
          const q = a + b - c
          const pa = Math.abs(q - a)
          const pb = Math.abs(q - b)
          const pc = Math.abs(q - c)
          p = v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)
          break
        }
        default:
          throw new Error(`bad filter ${f} on row ${y}`)
      }
      px[dst + x] = p & 255
    }
  }
  return {width, height, channels, pixels: px}
}

/** Pixels within `tol` (per channel) of an `#rrggbb` colour. */
export function countColour(img: DecodedPng, hex: string, tol = 6): number {
  const r = parseInt(hex.slice(1, 3), 16)
  const g = parseInt(hex.slice(3, 5), 16)
  const b = parseInt(hex.slice(5, 7), 16)
  let n = 0
  for (let i = 0; i < img.pixels.length; i += img.channels) {
    if (Math.abs(img.pixels[i] - r) <= tol && Math.abs(img.pixels[i + 1] - g) <= tol && Math.abs(img.pixels[i + 2] - b) <= tol) n++
  }
  return n
}
