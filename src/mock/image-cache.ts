/**
 * Simulated image-embedding cache: LRU over image identities (hashes of the data-URL bytes).
 * Map keeps insertion order, so delete + set moves a key to the most-recent end.
 */
export class ImageCache {
  private readonly entries = new Map<string, true>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number) {}

  /** Looks an image up and inserts it; returns true on a hit. Capacity 0 = every lookup misses. */
  touch(key: string): boolean {
    if (this.capacity <= 0) {
      this.misses++;
      return false;
    }
    if (this.entries.delete(key)) {
      this.entries.set(key, true);
      this.hits++;
      return true;
    }
    this.entries.set(key, true);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.misses++;
    return false;
  }

  get size(): number {
    return this.entries.size;
  }
}
