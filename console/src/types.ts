/**
 * The shapes the console reads from the public API: the SDK's types, generated from the
 * OpenAPI document, whose `results` and its sections come from the server's one contract
 * (src/contract). Nothing here is written by hand: a section the server changes is a type
 * error in the console, not a panel that silently shows nothing.
 */
import type {
  AnalysisStatus as SdkAnalysisStatus,
  Artifact as SdkArtifact,
  HistoryItem as SdkHistoryItem,
  SearchQuery,
  SearchResult,
} from '../../sdk/src/index.ts';

export type {
  AnalysisResults as Results,
  FramesSection,
  ModerationSection,
  TranscriptSection as Transcript,
} from '../../sdk/src/index.ts';

type SdkStage = SdkAnalysisStatus['stages'][number];

/**
 * A stage as the live view tracks it: events name states the status row does not
 * (`started`) and may arrive before the full stage row does.
 */
export type StageState = Pick<SdkStage, 'name'> & Partial<Omit<SdkStage, 'name' | 'status'>> & { status: string };

/** `GET /api/media/{id}`, with `results` as the contract types them. */
export type AnalysisStatusBody = SdkAnalysisStatus;

export type HistoryItem = SdkHistoryItem;
export type Artifact = SdkArtifact;
/** One hit of `GET /api/media/search` and its quoted segments. */
export type SearchAnswer = SearchResult['data'][number];

/** One quoted segment of a search hit. */
export type SearchSegment = SearchAnswer['segments'][number];

/** The search's filters (everything but the query and the limit). */
export type SearchParams = Omit<SearchQuery, 'q' | 'limit'>;
