/**
 * face-api's port of dlib's ResNet-34 face recognition network (`@vladmandic/face-api`, a
 * devDependency, MIT; 128 numbers a face), as a candidate for bench/quality/face-models.study.ts
 * only: the product describes faces with human's faceres (decision 0012 says why).
 *
 * dlib's network expects the face cut out along its 68 landmarks, so for a face found by
 * human this: crops a square around human's box and finds the 68 landmarks there (face-api's
 * landmark net); cuts the face out again along them (face-api's `align`: centred on the eyes
 * and mouth, sized by the landmarks' spread); describes that crop (resized to 150 px).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** A tfjs tensor, as far as this needs one. */
interface Tensor {
  dispose(): void;
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
