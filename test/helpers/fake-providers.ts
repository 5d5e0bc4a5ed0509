/**
 * A local HTTP server that speaks the subset of the OpenAI chat, OpenAI audio and
 * Deepgram protocols we use. Each endpoint follows a script of behaviours: answer,
 * answer slowly, 429 with Retry-After, 500, malformed JSON, or hang. Every request is
 * recorded (headers and body) so tests can check what was sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour = 'ok' | 'slow' | '429' | '500' | '400' | 'malformed' | 'hang';

export interface RecordedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json?: Record<string, unknown>;
}

export interface FakeProviders {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Behaviours used in order; the last one repeats. */
  script: Record<'chat' | 'openai_audio' | 'deepgram', Behaviour[]>;
  chatAnswer: string;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  transcript: string;
  slowMs: number;
  close(): Promise<void>;
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const state: Omit<FakeProviders, 'url' | 'port' | 'close'> = {
    requests: [],
    script: { chat: ['ok'], openai_audio: ['ok'], deepgram: ['ok'] },
    chatAnswer: 'The clip shows a caption reading HELLO CAPTION while a voice speaks.',
    usage: { prompt_tokens: 1200, completion_tokens: 40 },
    transcript: 'the quick brown fox jumps over the lazy dog',
    slowMs: 300,
  };
  const sockets = new Set<import('node:net').Socket>();
  const next = (kind: keyof FakeProviders['script']): Behaviour => {
    const list = state.script[kind];
    return list.length > 1 ? list.shift()! : list[0]!;
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '').split('?')[0]!;
      const rec: RecordedRequest = { path: req.url ?? '', headers: req.headers, body };
      if (String(req.headers['content-type']).startsWith('application/json')) {
        try {
          rec.json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        } catch {
          /* recorded as raw */
        }
      }
      state.requests.push(rec);
      const kind = path.endsWith('/chat/completions')
        ? 'chat'
        : path.endsWith('/audio/transcriptions')
          ? 'openai_audio'
          : path.endsWith('/v1/listen')
            ? 'deepgram'
            : null;
      if (!kind) {
        res.writeHead(404).end();
        return;
      }
      const behaviour = next(kind);
      const send = (payload: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const answer = () => {
        if (kind === 'chat') {
          send({
            id: 'chatcmpl-1',
            model: (rec.json?.model as string) ?? 'fake',
            choices: [{ index: 0, message: { role: 'assistant', content: state.chatAnswer }, finish_reason: 'stop' }],
            ...(state.usage ? { usage: state.usage } : {}),
          });
        } else if (kind === 'openai_audio') {
          send({
            text: state.transcript,
            language: 'english',
            segments: [{ start: 0.5, end: 2.5, text: ` ${state.transcript}` }],
          });
        } else {
          send({
            results: {
              channels: [
                {
                  detected_language: 'en',
                  alternatives: [{ transcript: state.transcript, words: [{ start: 1, end: 3, word: 'the' }] }],
                },
              ],
              utterances: [{ start: 1.0, end: 3.0, transcript: state.transcript }],
            },
          });
        }
      };
      switch (behaviour) {
        case 'ok':
          return answer();
        case 'slow':
          setTimeout(answer, state.slowMs);
          return;
        case '429':
          res
            .writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' })
            .end('{"error":{"message":"rate limited"}}');
          return;
        case '500':
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
          return;
        case '400':
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad request"}}');
          return;
        case 'malformed':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices": [ {"message": ');
          return;
        case 'hang':
          return;
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}
