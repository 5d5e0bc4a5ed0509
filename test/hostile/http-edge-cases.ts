/**
 * Malformed requests at the HTTP edge (issues #10 and #25) as raw bytes, each with the
 * answer it must get: used by test/hostile/round3.test.ts and by `npm run bench:hostile`,
 * which sends them over a real socket and records how fast each is answered.
 */
export interface EdgeCase {
  name: string;
  /** The whole request, `Connection: close` included. */
  request(key: string): Buffer;
  expect: { status: number; code: string };
}

function post(key: string, contentType: string, body: Buffer | string): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([
    Buffer.from(
      'POST /api/media/analyze HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' +
        `Authorization: Bearer ${key}\r\nContent-Type: ${contentType}\r\nContent-Length: ${bytes.length}\r\n\r\n`,
    ),
    bytes,
  ]);
}

const FIELD = '--xyz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nwhat is it\r\n';
const fileWithName = (name: string) =>
  Buffer.concat([
    Buffer.from(FIELD),
    Buffer.from(`--xyz\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n`),
    Buffer.from('0123456789\r\n--xyz--\r\n'),
  ]);

export const httpEdgeCases: EdgeCase[] = [
  {
    name: 'multipart cut off before its closing boundary',
    request: (key) =>
      post(
        key,
        'multipart/form-data; boundary=xyz',
        `${FIELD}--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc`,
      ),
    expect: { status: 400, code: 'INVALID_MULTIPART' },
  },
  {
    name: 'multipart without a boundary',
    request: (key) => post(key, 'multipart/form-data', `${FIELD}--xyz--\r\n`),
    expect: { status: 400, code: 'INVALID_MULTIPART' },
  },
  {
    name: 'multipart with an empty boundary',
    request: (key) => post(key, 'multipart/form-data; boundary=', `${FIELD}--xyz--\r\n`),
    expect: { status: 400, code: 'INVALID_MULTIPART' },
  },
  {
    name: 'NUL in the uploaded file name',
    request: (key) => post(key, 'multipart/form-data; boundary=xyz', fileWithName('a\u0000b.png')),
    expect: { status: 422, code: 'INVALID_TEXT' },
  },
  {
    name: 'a control character in the uploaded file name',
    request: (key) => post(key, 'multipart/form-data; boundary=xyz', fileWithName('a\u0007.mp4')),
    expect: { status: 422, code: 'INVALID_TEXT' },
  },
  {
    name: 'text/plain body',
    request: (key) => post(key, 'text/plain', 'hello'),
    expect: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  },
  {
    name: 'history cursor that decodes to JSON null',
    request: (key) =>
      Buffer.from(
        `GET /api/media/history?cursor=${Buffer.from('null').toString('base64url')} HTTP/1.1\r\nHost: x\r\n` +
          `Connection: close\r\nAuthorization: Bearer ${key}\r\n\r\n`,
      ),
    expect: { status: 400, code: 'INVALID_PARAMETER' },
  },
];

/** The status and problem code of a raw HTTP answer. */
export function parseAnswer(answer: string): { status: number | null; code: string | null } {
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(answer);
  const code = /"code":"([A-Z_]+)"/.exec(answer);
  return { status: status ? Number(status[1]) : null, code: code ? code[1]! : null };
}
