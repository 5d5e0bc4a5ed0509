/**
 * The answer to the prompt. With a chat provider configured, the prompt and the
 * extracted material (facts, transcript, OCR, document text, contact sheet / frames /
 * image) go to the model; its answer, tokens, cost and latency are stored as a
 * media_analysis_results row. With none configured the analysis still completes:
 * the answer section says plainly that no model answered, and carries an extractive
 * summary (key sentences and terms) of the extracted text instead.
 */
import fs from 'node:fs/promises';
import sharp from 'sharp';
import { AppError } from '../../domain/errors.ts';
import { buildPrompt, type Material } from '../../providers/prompt-builder.ts';
import { chatCostUsd } from '../../providers/cost.ts';
import { extractiveSummary } from '../../providers/extractive-summary.ts';
import { JsonOutputValidator } from '../../providers/json-output-validator.ts';
import { summarize } from '../summary.ts';
import { markWords, sureText } from '../../domain/search/segment-drafts.ts';
import { visionMaterial } from '../../domain/analysis/vision-summary.ts';
import type { Stage, StageContext } from '../stage.ts';
import { EXTRACTED_NOTE, UNSURE_LEGEND, extractedAnswer, markUnsure, where } from './extracted-answer.ts';

/** Longest image side sent to a model. */
const IMAGE_MAX_SIDE = 1280;

/** Checks JSON answers against the caller's schema; holds a bounded number of compiled schemas. */
const outputValidator = new JsonOutputValidator();

async function dataUrl(file: string): Promise<string> {
  const jpeg = await sharp(file)
    .rotate()
    .resize(IMAGE_MAX_SIDE, IMAGE_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

async function material(ctx: StageContext): Promise<Material> {
  const r = ctx.results;
  const images: Material['images'] = [];
  const storage = ctx.deps.storage;
  if (r.contact_sheet?.path)
    images.push({ label: 'contact sheet', dataUrl: await dataUrl(storage.resolve(r.contact_sheet.path)) });
  for (const f of ctx.frames ?? [])
    images.push({ label: `frame at ${f.seconds} s`, dataUrl: await dataUrl(f.absolutePath) });
  if (ctx.source?.mediaType === 'image')
    images.push({ label: 'image', dataUrl: await dataUrl(ctx.source.absolutePath) });
  const documentText = r.document?.text_path
    ? await fs.readFile(storage.resolve(r.document.text_path), 'utf8')
    : undefined;
  return {
    mediaType: ctx.analysis.mediaType,
    facts: r.understanding?.entities
      ? `${summarize(r)}\nEntities found: ${JSON.stringify(r.understanding.entities)}; keywords: ${(r.understanding.keywords ?? []).join(', ')}`
      : summarize(r),
    scene: visionMaterial(r) || undefined,
    transcript: timedTranscript(r.transcript),
    ocr: r.image?.ocr?.text ?? r.ocr?.text,
    documentText,
    images,
  };
}

/**
 * The transcript with times, one line per segment, so the model can cite when things are
 * said; a local transcript's unsure words marked "[words?]", with the legend, so the model
 * is not handed guesses as what was said.
 */
export function timedTranscript(
  t:
    | {
        text?: string;
        segments?: Array<{ start: number; end: number; text: string }>;
        words?: Array<{ word: string; start: number; end: number; low_confidence?: true }>;
      }
    | undefined,
) {
  if (!t?.segments?.length) return t?.words?.length ? markWords(t.words) : t?.text;
  const words = t.words ?? [];
  const lines = t.segments.map((s) => {
    const text = markUnsure({ text: s.text, start_seconds: s.start, end_seconds: s.end }, words);
    return {
      text,
      marked: text !== s.text,
      line: `[${where({ kind: 'transcript', start_seconds: s.start, end_seconds: s.end, page: null })}] ${text}`,
    };
  });
  return [...lines.map((l) => l.line), ...(lines.some((l) => l.marked) ? [UNSURE_LEGEND] : [])].join('\n');
}

/**
 * The text the extractive summary is drawn from: what was heard and read. A local
 * transcript comes whole with its unsure words marked "[words?]" (`marked`: for the
 * sentences, which must not lose words) or as the words the engine was sure of (`sure`:
 * for the key terms — a word it all but guessed is no key term).
 */
export function localText(ctx: Pick<StageContext, 'results'>, heardAs: 'marked' | 'sure'): string {
  const r = ctx.results;
  const words = r.transcript?.words;
  const heard = words?.length ? (heardAs === 'sure' ? sureText(words) : markWords(words)) : r.transcript?.text;
  return [heard, r.image?.ocr?.text, r.ocr?.text, r.document?.text_preview]
    .filter((t) => typeof t === 'string' && t.trim())
    .join('\n');
}

export const answerStage: Stage = {
  name: 'answer',
  needs: ['probe'],
  // Everything the model may be shown; the answer waits for these stages, then uses what exists.
  uses: [
    'shots',
    'cues',
    'frames',
    'contact_sheet',
    'transcript',
    'image',
    'document',
    'ocr',
    'objects',
    'faces',
    'moderation',
    'people',
    'understanding',
  ],
  produces: ['answer'],
  optional: true,
  // The model runs elsewhere; resizing a few images is light.
  cost: 0,
  appliesTo: (ctx) => ctx.source !== null,
  async run(ctx) {
    const { callProvider } = ctx.deps.tools.providers;
    const { providers, config, db } = ctx.deps;
    const requested = ctx.analysis.config.provider;
    const provider = providers.chat(typeof requested === 'string' ? requested : undefined);
    if (!provider) {
      const extract = {
        sentences: extractiveSummary(localText(ctx, 'marked')).sentences,
        terms: extractiveSummary(localText(ctx, 'sure')).terms,
      };
      const extracted = await extractedAnswer(ctx);
      ctx.results.answer = {
        provider: null,
        model: null,
        text: extracted.text,
        note: EXTRACTED_NOTE,
        generated: false,
        quotes: extracted.quotes,
        facts: extracted.facts,
        extractive: extract,
      };
      return;
    }
    const model =
      (typeof ctx.analysis.config.model === 'string' ? ctx.analysis.config.model : undefined) ?? provider.defaultModel;
    if (!model)
      throw new AppError(
        'PROVIDER_NOT_CONFIGURED',
        `No model chosen for ${provider.name}: set CHAT_MODEL or config.model`,
      );
    const built = buildPrompt(
      ctx.analysis.prompt,
      await material(ctx),
      config.providers.contextChars,
      config.providers.maxImages,
    );
    const responseFormat = ctx.analysis.config.response_format as Record<string, unknown> | undefined;
    const result = await callProvider(
      providers.breakers.get(`chat:${provider.name}`),
      () =>
        provider.complete({
          model,
          system: built.system,
          prompt: built.user,
          images: built.images,
          maxTokens: typeof ctx.analysis.config.max_tokens === 'number' ? ctx.analysis.config.max_tokens : undefined,
          temperature:
            typeof ctx.analysis.config.temperature === 'number' ? ctx.analysis.config.temperature : undefined,
          responseFormat,
          signal: ctx.signal,
        }),
      ctx.signal,
    );
    let json: unknown;
    const schema = (responseFormat?.json_schema as { schema?: object } | undefined)?.schema;
    if (responseFormat) {
      try {
        json = JSON.parse(result.text);
      } catch {
        throw new AppError('INVALID_MODEL_OUTPUT', 'The model was asked for JSON but answered something else');
      }
      if (schema) {
        const problem = outputValidator.check(schema, json);
        if (problem !== null)
          throw new AppError('INVALID_MODEL_OUTPUT', `The model's JSON does not match the schema: ${problem}`);
      }
    }
    const cost = chatCostUsd(config.providers.prices, model, result.usage.inputTokens, result.usage.outputTokens);
    await ctx.deps.repositories.results.insert(db, {
      analysisId: ctx.analysis.id,
      provider: provider.name,
      model: result.model,
      promptUsed: built.user,
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      costUsd: cost,
      latencyMs: result.latencyMs,
      confidence: null,
      finishReason: result.finishReason,
      answer: result.text,
      metadata: {
        kind: 'answer',
        images: built.images.map((i) => i.label),
        notes: built.notes,
        usage_reported: result.usage.reported,
      },
    });
    ctx.results.answer = {
      provider: provider.name,
      model: result.model,
      text: result.text,
      ...(json !== undefined ? { json } : {}),
      finish_reason: result.finishReason,
      usage: {
        input_tokens: result.usage.inputTokens,
        output_tokens: result.usage.outputTokens,
        reported: result.usage.reported,
      },
      cost_usd: cost,
      latency_ms: result.latencyMs,
      images_sent: built.images.map((i) => i.label),
      notes: built.notes,
    };
  },
};
