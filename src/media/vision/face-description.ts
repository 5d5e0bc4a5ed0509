/**
 * faceres on one face, run here rather than inside human's face pipeline: human describes
 * every BlazeFace candidate, the ones its face mesh rejects too (a motorcycle's gauges, a
 * cat), and faceres costs more than BlazeFace and the mesh together on such pictures. The
 * caller asks human for the candidates with their crops (`detector.return`), keeps the ones
 * its thresholds confirm, and describes only those, exactly as human would: the mesh's
 * aligned crop resized to faceres's input and scaled to 0-255 (human 3.3
 * src/face/faceres.ts `enhance`, with no extra crop), the 1024-number output.
 */
/** A tfjs tensor, as far as this needs one. */
interface Tensor {
  dispose(): void;
}

/** What of tfjs-core this needs (the same tfjs-core human runs on). */
export interface TfOps {
  expandDims(t: Tensor, axis: number): Tensor;
  mul(t: Tensor, n: number): Tensor;
  image: { resizeBilinear(t: Tensor, size: [number, number], alignCorners: boolean): Tensor };
  tidy<T extends Tensor>(fn: () => T): T;
}

/** faceres as human loads it: a graph model with one image input, [1, height, width, 3]. */
export interface FaceresModel {
  inputs: Array<{ shape?: number[] }>;
  execute(input: Tensor): Tensor | Tensor[];
}

type Output = Tensor & { shape: number[]; data(): Promise<ArrayLike<number>> };

/** The description of one face from its crop ([height, width, 3], 0-1, as `detector.return` gives it). */
export async function describeFace(tf: TfOps, model: FaceresModel, crop: Tensor): Promise<number[]> {
  const shape = model.inputs[0]?.shape;
  if (!shape || shape.length < 3) return [];
  const input = tf.tidy(() =>
    tf.mul(tf.image.resizeBilinear(tf.expandDims(crop, 0), [shape[2]!, shape[1]!], false), 255),
  );
  const out = model.execute(input);
  input.dispose();
  const outputs = (Array.isArray(out) ? out : [out]) as Output[];
  try {
    const description = outputs.find((t) => t.shape[1] === 1024);
    return description ? Array.from(await description.data()) : [];
  } finally {
    for (const t of outputs) t.dispose();
  }
}
