/**
 * The sandbox limits the stages use, from the configuration. One place, so the stages
 * that decode (probe, document, image OCR) cannot drift apart.
 */
import type { AppConfig } from '../../config/config.ts';
import { DEFAULT_SANDBOX_MEMORY_MB, type SandboxLimits } from './sandbox.ts';
import { DEFAULT_MAX_OCR_PAGES } from '../document-text.ts';

/** One decode (including OCR of up to MAX_OCR_PAGES pages) must finish within this. */
export const DEFAULT_DECODE_TIMEOUT_MS = 5 * 60_000;
/** Rendering one page for OCR. */
export const DEFAULT_RENDER_TIMEOUT_MS = 60_000;

export const sandboxLimits = {
  decode(_config: AppConfig, signal?: AbortSignal): SandboxLimits {
    return { memoryMb: DEFAULT_SANDBOX_MEMORY_MB, timeoutMs: DEFAULT_DECODE_TIMEOUT_MS, signal };
  },
  ocr(_config: AppConfig): { maxOcrPages: number; renderTimeoutMs: number } {
    return { maxOcrPages: DEFAULT_MAX_OCR_PAGES, renderTimeoutMs: DEFAULT_RENDER_TIMEOUT_MS };
  },
};
