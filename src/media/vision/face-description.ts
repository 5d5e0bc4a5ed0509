/**
 * Face descriptions: who a face is, as 128 numbers, from face-api's port of dlib's
 * ResNet-34 face recognition network (`@vladmandic/face-api`, weights in its `model/`
 * folder, MIT). It replaced human's `faceres`, which scored one person across two
 * different photographs 0.67–0.70 and two different people up to 0.89: no threshold
 * joined anyone across photographs without also merging strangers (decision 0012,
 * bench/results/quality.md, people).
 *
 * dlib's network expects the face cut out along its 68 landmarks. So for each face the
 * calibrated rule confirmed (human's BlazeFace + face mesh, face-rule.ts), this:
 * 1. crops a square around human's box and finds the 68 landmarks there (face-api's
 *    landmark net);
 * 2. cuts the face out again along the landmarks (face-api's `align`: centred on the eyes
 *    and mouth, sized by the landmarks' spread);
 * 3. describes that crop (face-api resizes it to the network's 150 px).
 * Scratch comparison on the 24 labelled photographs (bench/quality/labels/people.json): the
 * two people photographed twice in different shoots at Euclidean distance 0.42–0.44, the
 * closest two different people at 0.59; describing human's box without the landmark step
 * put one across-photograph pair (0.60) beyond two different people (0.51).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The description's length. */
export const DESCRIPTION_LENGTH = 128;

/** A tfjs tensor, as far as this needs one. */
export interface Tensor {
  dispose(): void;
}

/** What of tfjs-core this needs (the same tfjs-core human runs on). */
export interface TfOps {
  expandDims(t: Tensor, axis: number): Tensor;
  mul(t: Tensor, n: number): Tensor;
  image: { resizeBilinear(t: Tensor, size: [number, number], alignCorners: boolean): Tensor };
  tidy<T extends Tensor>(fn: () => T): T;
}

interface FaceApiRect {
  x: number;
  y: number;
  width: number;
  height: number;
  clipAtImageBorders(width: number, height: number): FaceApiRect;
}
interface FaceApi {
  Rect: new (x: number, y: number, width: number, height: number) => FaceApiRect;
  extractFaceTensors(image: Tensor, boxes: FaceApiRect[]): Promise<Tensor[]>;
  nets: {
    faceLandmark68Net: {
      loadFromDisk(dir: string): Promise<void>;
      detectLandmarks(face: Tensor): Promise<{ shiftBy(x: number, y: number): { align(): FaceApiRect } }>;
    };
    faceRecognitionNet: {
      loadFromDisk(dir: string): Promise<void>;
      computeFaceDescriptor(face: Tensor): Promise<Float32Array>;
    };
  };
}

/** Describes faces of one picture at a time; load with `loadFaceDescriber`. */
export interface FaceDescriber {
  /**
   * The description of the face inside `box` ([x, y, width, height] in pixels) of
   * `picture` ([height, width, 3] or [1, height, width, 3], 0–255). Empty when the crop
   * is degenerate.
   */
  describe(
    picture: Tensor,
    box: readonly [number, number, number, number],
    size: { width: number; height: number },
  ): Promise<number[]>;
}

/** The folder of face-api's weights inside its package. */
export function faceApiModelsDir(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

/**
 * face-api's WebAssembly build on the tfjs already started (it shares `@tensorflow/tfjs`
 * with human), and its landmark and recognition weights read from disk.
 */
export async function loadFaceDescriber(modelsDir = faceApiModelsDir()): Promise<FaceDescriber> {
  const dist = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'dist');
  const faceapi = require(path.join(dist, 'face-api.node-wasm.js')) as FaceApi;
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelsDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelsDir);
  return {
    async describe(picture, box, size) {
      const [x, y, w, h] = box;
      const side = Math.max(w, h);
      if (!(side >= 2)) return [];
      const square = new faceapi.Rect(x + w / 2 - side / 2, y + h / 2 - side / 2, side, side).clipAtImageBorders(
        size.width,
        size.height,
      );
      if (square.width < 2 || square.height < 2) return [];
      const [crop] = await faceapi.extractFaceTensors(picture, [square]);
      let aligned: FaceApiRect;
      try {
        const landmarks = await faceapi.nets.faceLandmark68Net.detectLandmarks(crop!);
        aligned = landmarks.shiftBy(square.x, square.y).align().clipAtImageBorders(size.width, size.height);
      } finally {
        crop?.dispose();
      }
      if (aligned.width < 2 || aligned.height < 2) return [];
      const [face] = await faceapi.extractFaceTensors(picture, [aligned]);
      try {
        return Array.from(await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(face!));
      } finally {
        face?.dispose();
      }
    },
  };
}
