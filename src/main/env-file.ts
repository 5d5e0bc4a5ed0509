/**
 * Loads `.env` from the working directory into `process.env` when the file exists,
 * before anything reads the configuration. Imported first by the CLI entry (module
 * evaluation follows import order). Variables already set in the environment win over
 * the file, as with `node --env-file`.
 */
import fs from 'node:fs';

/** The file, relative to the working directory (as `npm start` and `npx media-analysis` run). */
export const ENV_FILE = '.env';

if (fs.existsSync(ENV_FILE)) process.loadEnvFile(ENV_FILE);
