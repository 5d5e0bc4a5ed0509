/** Cost of a call from the configured price table (MODEL_PRICES); 0 when the model has no price. */
import type { ModelPrice } from '../config/config-parse.ts';

export function chatCostUsd(
  prices: Record<string, ModelPrice>,
  model: string,
  inputTokens: number,
  outputTokens: number,
): number {
  const p = prices[model];
  if (!p) return 0;
  return round6(((p.input_per_1k ?? 0) * inputTokens) / 1000 + ((p.output_per_1k ?? 0) * outputTokens) / 1000);
}

export function transcriptionCostUsd(prices: Record<string, ModelPrice>, model: string, seconds: number): number {
  const p = prices[model];
  return p?.per_minute ? round6((p.per_minute * seconds) / 60) : 0;
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
