import { createCipheriv, createHash } from 'node:crypto';
import sharp from 'sharp';
import { dataUrlBytes } from '../util/data-url.js';
import { UserError } from '../util/errors.js';
import { seededRandom } from './text.js';

export type ImageFormat = 'png' | 'jpeg';
export type ImageContent = 'noise' | 'screenshot';
export const IMAGE_FORMATS: readonly ImageFormat[] = ['png', 'jpeg'];
export const IMAGE_CONTENTS: readonly ImageContent[] = ['noise', 'screenshot'];

export interface ImageSpec {
  width: number;
  height: number;
  format: ImageFormat;
  content: ImageContent;
  seed: number;
  /** zlib level for PNG (0-9); 6 is PIL's default, which the recipe used. */
  pngLevel: number;
  /** JPEG quality (1-100). */
  jpegQuality: number;
}

/** Parses `WIDTHxHEIGHT`. */
export function parseSize(text: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/i.exec(text.trim());
  const width = m ? Number(m[1]) : Number.NaN;
  const height = m ? Number(m[2]) : Number.NaN;
  if (!m || width < 1 || height < 1 || width > 16383 || height > 16383) {
    throw new UserError(
      `--image-size must be WIDTHxHEIGHT with each side in 1..16383 (e.g. 2400x1080), got "${text}"`,
    );
  }
  return { width, height };
}

export function mimeOf(format: ImageFormat): string {
  return format === 'png' ? 'image/png' : 'image/jpeg';
}

export function extensionOf(format: ImageFormat): string {
  return format === 'png' ? 'png' : 'jpg';
}

function imageKey(seed: number, id: number): Buffer {
  return createHash('sha256').update(`mmload/image/${seed}/${id}`).digest();
}

/** Uniform random RGB from an AES-CTR keystream: native speed, and a pure function of (seed, id). */
function noisePixels(spec: ImageSpec, id: number): Buffer {
  const key = imageKey(spec.seed, id);
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return cipher.update(Buffer.alloc(spec.width * spec.height * 3));
}

/**
 * Something shaped like an app screenshot: flat background, a title bar, bordered panels and
 * lines of dark word-like strokes. It compresses the way real screenshots do, unlike noise.
 */
function screenshotPixels(spec: ImageSpec, id: number): Buffer {
  const { width: w, height: h } = spec;
  const px = Buffer.alloc(w * h * 3);
  const rnd = seededRandom(`mmload/screenshot/${spec.seed}/${id}`);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const rect = (x: number, y: number, rw: number, rh: number, rgb: [number, number, number]) => {
    const x0 = Math.max(0, Math.min(w, x));
    const x1 = Math.max(0, Math.min(w, x + rw));
    const y0 = Math.max(0, Math.min(h, y));
    const y1 = Math.max(0, Math.min(h, y + rh));
    if (x1 <= x0) return;
    const pattern = Buffer.from(rgb);
    for (let yy = y0; yy < y1; yy++) px.fill(pattern, (yy * w + x0) * 3, (yy * w + x1) * 3);
  };
  const unit = Math.max(1, Math.round(Math.min(w, h) / 90));
  const bg = 235 + int(0, 20);
  rect(0, 0, w, h, [bg, bg, bg]);
  rect(0, 0, w, unit * 4, [int(20, 80), int(40, 120), int(90, 200)]);
  const panels = int(2, 4);
  for (let p = 0; p < panels; p++) {
    const px0 = int(0, Math.floor(w / 2));
    const py0 = int(unit * 5, Math.floor(h / 2));
    const pw = int(Math.floor(w / 4), w - px0);
    const ph = int(Math.floor(h / 5), h - py0);
    rect(px0, py0, pw, ph, [180, 180, 185]);
    rect(px0 + 1, py0 + 1, pw - 2, ph - 2, [255, 255, 255]);
    const ink: [number, number, number] = [int(0, 60), int(0, 60), int(0, 60)];
    for (let ly = py0 + unit * 2; ly + unit * 2 < py0 + ph; ly += unit * 3) {
      let lx = px0 + unit * 2;
      const end = px0 + pw - unit * 2 - int(0, Math.floor(pw / 3));
      while (lx < end) {
        const ww = unit * int(2, 9);
        rect(lx, ly, Math.min(ww, end - lx), unit * 2, ink);
        lx += ww + unit;
      }
    }
  }
  return px;
}

export function renderPixels(spec: ImageSpec, id: number): Buffer {
  return spec.content === 'noise' ? noisePixels(spec, id) : screenshotPixels(spec, id);
}

/** Renders and encodes image `id`: the same (spec, id) always gives the same bytes. */
export async function encodeImage(spec: ImageSpec, id: number): Promise<Buffer> {
  const img = sharp(renderPixels(spec, id), { raw: { width: spec.width, height: spec.height, channels: 3 } });
  return spec.format === 'png'
    ? img.png({ compressionLevel: spec.pngLevel }).toBuffer()
    : img.jpeg({ quality: spec.jpegQuality }).toBuffer();
}

/** `data:<mime>;base64,<data>` as bytes. */
export function toDataUrl(format: ImageFormat, encoded: Buffer): Buffer {
  return dataUrlBytes(`data:${mimeOf(format)};base64,`, encoded);
}
