import { writeFileAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';

/** What a result needs to cite its dataset: how it was made and a hash of the exact bytes. */
export interface DatasetManifest {
  kind: 'mmload-dataset';
  mmloadVersion: string;
  file: string;
  createdAt: string;
  parameters: Record<string, unknown>;
  seed: number;
  rows: number;
  distinctImages: number;
  bytes: number;
  sha256: string;
}

export function manifestPathFor(jsonlPath: string): string {
  return `${jsonlPath}.manifest.json`;
}

export function buildManifest(
  fields: Omit<DatasetManifest, 'kind' | 'mmloadVersion' | 'createdAt'>,
): DatasetManifest {
  return { kind: 'mmload-dataset', mmloadVersion: VERSION, createdAt: new Date().toISOString(), ...fields };
}

export async function writeManifest(path: string, manifest: DatasetManifest): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
}
