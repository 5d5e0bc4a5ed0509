/**
 * HTTP Range for artifact downloads: one byte range, as browsers and media players send.
 * Parsing is range-parser's (the one `send` and Express use); this only maps its answer
 * onto what the artifact route does: 206 with one range, 416, or the whole file.
 */
import rangeParser from 'range-parser';

/** range-parser's answers for a header it cannot satisfy / cannot read. */
const UNSATISFIABLE = -1;
const MALFORMED = -2;

/** One `bytes=` range (start-end, start-, or -suffix); null when absent or not a single byte range. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const ranges = rangeParser(size, header.trim(), { combine: true });
  if (ranges === MALFORMED) return null;
  if (ranges === UNSATISFIABLE) {
    // A suffix longer than the file means the whole file (RFC 9110 §14.1.2), which
    // range-parser reports as unsatisfiable.
    return /^bytes=-\d*[1-9]\d*$/.test(header.trim()) && size > 0 ? { start: 0, end: size - 1 } : 'unsatisfiable';
  }
  if (ranges.type !== 'bytes' || ranges.length !== 1) return null;
  const { start, end } = ranges[0]!;
  return { start, end };
}
