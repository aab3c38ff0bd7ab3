/** How many base64 characters encode `bytes` bytes (padding included). */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/**
 * A data URL's bytes: `prefix` (`data:<mime>;base64,`) then `data` in base64, written into one
 * buffer without a UTF-8 pass over the base64 text (it is all ASCII). The buffer is one of its
 * own (not a slice of the pool), so that it can be transferred to another thread.
 */
export function dataUrlBytes(prefix: string, data: Buffer): Buffer {
  const b64 = data.toString('base64');
  const out = Buffer.allocUnsafeSlow(prefix.length + b64.length);
  out.write(prefix, 0, 'latin1');
  out.write(b64, prefix.length, 'latin1');
  return out;
}
