import { base64Length } from '../util/data-url.js';

/** Image format and dimensions from the first bytes of a file, without decoding pixels. */
export interface ImageHeader {
  format: 'png' | 'jpeg' | 'gif' | 'webp' | 'unknown';
  width?: number;
  height?: number;
}

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function readImageHeader(b: Buffer): ImageHeader {
  if (b.length >= 24 && b.subarray(0, 8).equals(PNG_SIG) && b.toString('latin1', 12, 16) === 'IHDR') {
    return { format: 'png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpegHeader(b);
  if (b.length >= 10 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) {
    return { format: 'gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  }
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    return { format: 'webp' };
  }
  return { format: 'unknown' };
}

/** Walks JPEG marker segments to the first SOFn; dimensions stay unknown if it lies beyond `b`. */
function jpegHeader(b: Buffer): ImageHeader {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return { format: 'jpeg' };
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const len = b.readUInt16BE(i + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { format: 'jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  return { format: 'jpeg' };
}

/** The decoded bytes at the start of a base64 data URL (`url` holds `data:...;base64,...`). */
export function dataUrlHead(url: Buffer, bytes: number): Buffer {
  const comma = url.indexOf(0x2c);
  const chars = base64Length(bytes);
  return Buffer.from(url.toString('latin1', comma + 1, Math.min(url.length, comma + 1 + chars)), 'base64');
}
