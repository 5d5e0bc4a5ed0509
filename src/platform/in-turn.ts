/**
 * `fn` over `items`, at most `parallel` calls at once, each next item taken by the first
 * call to finish; the results in the items' order. Once a call throws or `signal` aborts,
 * nothing new starts: the calls in hand are let finish (no work outlives the caller), then
 * the first error (or the signal's reason) is thrown.
 */
export async function inTurn<T, R>(
  items: readonly T[],
  parallel: number,
  fn: (item: T) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const runners = Array.from({ length: Math.max(1, Math.min(Math.floor(parallel), items.length)) }, async () => {
    while (next < items.length && !failure) {
      if (signal?.aborted) {
        failure = { error: signal.reason };
        return;
      }
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(runners);
  if (failure) throw (failure as { error: unknown }).error;
  return out;
}
