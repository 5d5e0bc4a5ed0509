/**
 * The repositories handed to pipeline stages (`PipelineDeps.repositories`): stages never
 * import persistence, so the composition root passes them this set.
 */
import { analysisRepository } from './analysis.repository.ts';
import { contactSheetRepository } from './contact-sheet.repository.ts';
import { mediaFileRepository } from './media-file.repository.ts';
import { resultRepository } from './result.repository.ts';
import { segmentRepository } from './segment.repository.ts';

export const stageRepositories = {
  analyses: analysisRepository,
  contactSheets: contactSheetRepository,
  mediaFiles: mediaFileRepository,
  results: resultRepository,
  segments: segmentRepository,
};

export type StageRepositories = typeof stageRepositories;
