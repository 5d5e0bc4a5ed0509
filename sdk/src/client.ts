/**
 * The media-analysis SDK's client: every API call (`MediaAnalysisHttp`) plus webhook
 * signature checks (`webhooks.verify`).
 *
 *   const ma = new MediaAnalysis({ baseUrl: 'http://127.0.0.1:3000', apiKey });
 *   const { analysis_id } = await ma.analyze({ file: 'clip.mp4', prompt: 'What happens?' });
 *   const done = await ma.wait(analysis_id, { onProgress: (e) => console.log(e.progress) });
 */
import { MediaAnalysisHttp } from './http-client.ts';
import type { ClientOptions } from './types.ts';
import { WebhooksApi } from './webhooks-api.ts';

export class MediaAnalysis extends MediaAnalysisHttp {
  override readonly webhooks: WebhooksApi;

  constructor(opts: ClientOptions) {
    super(opts);
    this.webhooks = new WebhooksApi(this.http, (r) => this.unwrap(r));
  }
}
