// The SDK example of docs/sdk.md, run by scripts/readme-cli-sdk.ts (which writes this file and its output there).
import { MediaAnalysis } from '../sdk/src/index.ts';

const ma = new MediaAnalysis({ baseUrl: process.env.MEDIA_ANALYSIS_URL!, apiKey: process.env.MEDIA_ANALYSIS_API_KEY });
const { analysis_id } = await ma.analyze({ file: 'photos-with-speech.mp4', prompt: 'Who speaks?' });
console.log('submitted', analysis_id);
const done = await ma.wait(analysis_id, {
  // SSE with a polling fallback; `stage` events name the stage that started, finished or was skipped
  onProgress: (e) =>
    e.event === 'stage' && e.data.state !== 'started' && console.log(e.progress, e.data.stage, e.data.state),
});
console.log(done.status, '-', done.result_summary);
const hits = await ma.search('a young man');
for (const hit of hits.data) console.log(hit.analysis_id, hit.segments[0]?.kind, hit.segments[0]?.text);
