/** File uploads: a path or Blob as a streamed multipart/form-data body with upload progress. */

/**
 * Node's fs, needed only for a path. The specifier is not a literal on purpose: bundlers
 * (Vite, webpack) leave such an import alone, so the SDK in a browser bundle carries no
 * Node module and no stub of one; a browser passes a Blob/File and never gets here.
 */
const NODE_FS = 'node:fs';

export async function toBlob(file: string | Blob): Promise<{ blob: Blob; name: string }> {
  if (typeof file !== 'string') return { blob: file, name: (file as File).name ?? 'upload' };
  const fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_FS)) as {
    openAsBlob(path: string): Promise<Blob>;
  };
  return { blob: await fs.openAsBlob(file), name: file.split(/[\\/]/).pop() || 'upload' };
}

/** A multipart/form-data body as a stream with a known length, counting bytes as they go out. */
export function multipartStream(
  fields: Record<string, string>,
  file: Blob,
  filename: string,
  onProgress?: (sent: number, total: number) => void,
): { stream: ReadableStream<Uint8Array>; length: number; boundary: string } {
  const boundary = `----media-analysis-${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const enc = new TextEncoder();
  const quoted = (s: string) => s.replace(/["\r\n\\]/g, '_');
  let head = '';
  for (const [k, v] of Object.entries(fields))
    head += `--${boundary}\r\ncontent-disposition: form-data; name="${quoted(k)}"\r\n\r\n${v}\r\n`;
  head += `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${quoted(filename)}"\r\ncontent-type: ${file.type || 'application/octet-stream'}\r\n\r\n`;
  const headBytes = enc.encode(head);
  const tailBytes = enc.encode(`\r\n--${boundary}--\r\n`);
  const length = headBytes.length + file.size + tailBytes.length;
  let sent = 0;
  const reader = file.stream().getReader();
  let stage: 'head' | 'file' | 'done' = 'head';
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (stage === 'head') {
        stage = 'file';
        controller.enqueue(headBytes);
        sent += headBytes.length;
      } else if (stage === 'file') {
        const { value, done } = await reader.read();
        if (done) {
          stage = 'done';
          controller.enqueue(tailBytes);
          sent += tailBytes.length;
        } else {
          controller.enqueue(value);
          sent += value.length;
        }
      } else {
        controller.close();
        return;
      }
      onProgress?.(Math.min(sent, length), length);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { stream, length, boundary };
}
