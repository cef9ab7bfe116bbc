/** Detections as `kws detect` prints them (and `kws firmware --run`, so the two can be compared line for line). */
import type { Detection } from '../detect/posteriors.js';

/** Text: `   12.34 s  yes  (score 0.934)`; JSON: `{"time_s":12.34,"label":"yes","score":0.9341}` (+ `file`). */
export function detectionLine(detection: Detection, file: string | undefined, json: boolean): string {
  const time = Math.round(detection.timeS * 1000) / 1000;
  const score = Math.round(detection.score * 10000) / 10000;
  if (json) {
    return `${JSON.stringify({ time_s: time, label: detection.label, score, ...(file === undefined ? {} : { file }) })}\n`;
  }
  const prefix = file === undefined ? '' : `${file}: `;
  return `${prefix}${time.toFixed(2).padStart(9)} s  ${detection.label}  (score ${score.toFixed(3)})\n`;
}
