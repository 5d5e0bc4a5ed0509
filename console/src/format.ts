/** Small display helpers shared by the pages. */

/** 75.4 → "1:15", 3723 → "1:02:03". */
export function clock(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function bytes(n: number | null | undefined): string {
  if (typeof n !== 'number') return '–';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function basename(p: string | null | undefined): string {
  if (!p) return '';
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
}

/** First index whose start is after `t`, minus one: the item playing at time t (starts sorted). */
export function indexAt(starts: Float64Array | number[], t: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid] as number) <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * A stored transcript window's text in runs: words the local speech engine was unsure of
 * are stored as "[words?]" (so every client reads them as unsure); here they become runs
 * to show as the transcript panel shows unsure words.
 */
export function unsureRuns(text: string): Array<{ text: string; unsure: boolean }> {
  const runs: Array<{ text: string; unsure: boolean }> = [];
  let last = 0;
  for (const m of text.matchAll(/\[([^\]]+)\?\]/g)) {
    if (m.index > last) runs.push({ text: text.slice(last, m.index), unsure: false });
    runs.push({ text: m[1]!, unsure: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) runs.push({ text: text.slice(last), unsure: false });
  return runs;
}
