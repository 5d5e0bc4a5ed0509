/** Letterbox/pillarbox detection: the region of a picture inside its black bars. */
import type { Sharp } from 'sharp';

/** Rows/columns darker than this (0-255) at the edges count as bars. */
const BAR_LUMA = 24;
/** Bars are only cropped when the picture left is at least this share of each side. */
const MIN_CONTENT_SHARE = 0.3;

/** The region inside black bars (the whole picture when there are none). */
export async function contentArea(
  input: Sharp,
  width: number,
  height: number,
): Promise<{ left: number; top: number; width: number; height: number }> {
  const whole = { left: 0, top: 0, width, height };
  const probe = 128;
  const { data, info } = await input
    .clone()
    .resize(probe, probe, { fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rowMax = (y: number) => Math.max(...data.subarray(y * info.width, (y + 1) * info.width));
  const colMax = (x: number) => {
    let m = 0;
    for (let y = 0; y < info.height; y++) m = Math.max(m, data[y * info.width + x]!);
    return m;
  };
  let top = 0;
  while (top < info.height && rowMax(top) < BAR_LUMA) top++;
  let bottom = info.height - 1;
  while (bottom > top && rowMax(bottom) < BAR_LUMA) bottom--;
  let left = 0;
  while (left < info.width && colMax(left) < BAR_LUMA) left++;
  let right = info.width - 1;
  while (right > left && colMax(right) < BAR_LUMA) right--;
  const w = right - left + 1;
  const h = bottom - top + 1;
  if (w < info.width * MIN_CONTENT_SHARE || h < info.height * MIN_CONTENT_SHARE) return whole;
  if (w === info.width && h === info.height) return whole;
  const sx = width / info.width;
  const sy = height / info.height;
  const area = {
    left: Math.floor(left * sx),
    top: Math.floor(top * sy),
    width: Math.ceil(w * sx),
    height: Math.ceil(h * sy),
  };
  area.width = Math.min(area.width, width - area.left);
  area.height = Math.min(area.height, height - area.top);
  return area;
}
