/**
 * After `vite build console`: writes .br and .gz beside every text asset of console/dist
 * (the API serves them to browsers that accept them) and prints the compressed JavaScript
 * total, which the issue caps at 300 KB for the first load.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';

const DIST = path.resolve(import.meta.dirname, '../console/dist');
const TEXT = /\.(js|css|html|svg|json|webmanifest)$/;

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else if (TEXT.test(e.name)) out.push(p);
  }
  return out;
}

let jsBrotli = 0;
let jsGzip = 0;
for (const file of await files(DIST)) {
  const raw = await fs.readFile(file);
  const br = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } });
  const gz = zlib.gzipSync(raw, { level: 9 });
  await fs.writeFile(`${file}.br`, br);
  await fs.writeFile(`${file}.gz`, gz);
  if (file.endsWith('.js')) {
    jsBrotli += br.length;
    jsGzip += gz.length;
  }
}
process.stdout.write(
  `console JavaScript: ${(jsBrotli / 1024).toFixed(1)} KB brotli, ${(jsGzip / 1024).toFixed(1)} KB gzip\n`,
);
