/** Says once on stderr that files are resampled (every file after the first goes unmentioned). */
export function resampleNotice(sampleRate: number): (file: string, fromRate: number) => void {
  let shown = false;
  return (file, fromRate) => {
    if (shown) return;
    shown = true;
    process.stderr.write(
      `kws: note: resampling ${file} from ${fromRate} Hz to ${sampleRate} Hz (and any other file not at ${sampleRate} Hz)\n`,
    );
  };
}
