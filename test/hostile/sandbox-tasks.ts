/** Functions the sandbox tests run in the child: well-behaved, failing and hostile ones. */
import { AppError } from '../../src/domain/errors.ts';

export async function echo(value: unknown): Promise<unknown> {
  return { value, pid: process.pid };
}

export async function fail(kind: 'app' | 'plain' | 'stack'): Promise<never> {
  if (kind === 'app') throw new AppError('MEDIA_CORRUPT', 'bad bytes');
  if (kind === 'stack') {
    const deep = (n: number): number => deep(n + 1) + 1;
    deep(0);
  }
  throw new TypeError('plain failure');
}

/** Grows the JavaScript heap without end. */
export async function growHeap(): Promise<never> {
  const keep: string[][] = [];
  for (;;) keep.push(Array.from({ length: 10_000 }, (_, i) => `item-${i}-${keep.length}`));
}

/** Grows memory outside the heap (Buffers), which a heap limit does not see. */
export async function growBuffers(): Promise<never> {
  const keep: Buffer[] = [];
  for (;;) {
    keep.push(Buffer.alloc(16 * 1024 * 1024, 1));
    await new Promise((r) => setImmediate(r));
  }
}

export async function hang(): Promise<never> {
  return new Promise(() => setInterval(() => undefined, 1_000));
}

export async function crash(): Promise<never> {
  process.kill(process.pid, 'SIGSEGV');
  return new Promise(() => undefined);
}
