/**
 * The sections of what an analysis sees without a provider (`shots`, `cues`, `objects`,
 * `faces`, `moderation`), as the domain names them. Declared once, in the contract
 * (src/contract/vision-sections.schema.ts); the summary, the prompt material, the search
 * segments and the exports read them through these types.
 */
import type { AnalysisSections } from '../../contract/results.schema.ts';

export type {
  FaceFinding,
  FacesSection,
  LabelCount,
  ModerationSection,
  ModerationVerdict,
  ObjectFinding,
  ObjectsSection,
  ShotSection,
} from '../../contract/vision-sections.schema.ts';
export type { SectionError } from '../../contract/common.schema.ts';

/** The sections this feature adds to `results`, by key. */
export type VisionResults = Pick<AnalysisSections, 'shots' | 'cues' | 'objects' | 'faces' | 'moderation'>;
