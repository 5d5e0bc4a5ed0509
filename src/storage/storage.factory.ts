/**
 * Builds the configured storage driver. Local disk is the zero-config default; the S3
 * driver keeps its worker copies in `<DATA_DIR>/scratch/<this process>`.
 */
import path from 'node:path';
import { LocalFileStorage, type Storage, type StorageDriver } from './storage.ts';
import type { S3StorageSettings } from './s3-client.ts';
import { S3Storage } from './s3-storage.ts';
import { scratchFolderName } from './scratch.ts';

export interface StorageSettings {
  driver: StorageDriver;
  /** Local driver: the folder holding every file. */
  root: string;
  dataDir: string;
  s3: Omit<S3StorageSettings, 'scratchDir'> | null;
}

export function createStorage(settings: StorageSettings): Storage {
  if (settings.driver === 'local') return new LocalFileStorage(settings.root);
  if (!settings.s3) throw new Error('STORAGE_DRIVER=s3 needs S3_BUCKET');
  return new S3Storage({ ...settings.s3, scratchDir: path.join(settings.dataDir, 'scratch', scratchFolderName()) });
}
