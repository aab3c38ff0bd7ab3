/**
 * One row of an AIPerf `single_turn` JSONL file, as the streaming reader (reader.ts,
 * `readDataset(path, opts): AsyncIterable<DatasetRow>`) yields it. Image data URLs stay as the raw
 * bytes of the file (never decoded, never re-encoded), so that the driver can splice them into
 * request bodies as Buffers.
 */
export type ImageRef =
  /** `data:image/...;base64,...`, the bytes exactly as they stand in the file (no JSON escapes). */
  | {
      kind: 'data-url';
      url: Buffer;
      mime: string;
      /** Where `url`'s bytes stand in the file (absent when the JSON string had escapes). */
      fileOffset?: number;
    }
  /**
   * A data URL left in the file: `length` bytes at `offset` of `file`, read while the request is
   * uploaded (the driver's row source turns large rows' data URLs into these, so that rows in
   * flight do not hold their images in memory).
   */
  | { kind: 'file-range'; file: string; offset: number; length: number; mime: string }
  /** http(s) URL, passed through unchanged. */
  | { kind: 'http'; url: string }
  /** A local file path (as written in the file; `resolved` is absolute). */
  | { kind: 'path'; path: string; resolved: string };

export interface DatasetRow {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  /** Byte offset of the line's start and its length without the newline. */
  byteOffset: number;
  byteLength: number;
  /** Rows without a session_id each form their own session (AIPerf's behaviour). */
  sessionId: string | undefined;
  /** `text` or `texts`, normalised to a list (empty when the row has none). */
  texts: string[];
  /** `image` or `images`, normalised to a list. */
  images: ImageRef[];
  /** Merged into the request body. */
  extra?: Record<string, unknown>;
  outputLength?: number;
  delayMs?: number;
  timestampMs?: number;
  role?: string;
}
