/**
 * Progress on stderr. On a terminal: one line redrawn in place, throttled. Elsewhere (CI logs,
 * pipes): no redraws; callers print milestone lines with `log` instead.
 */
export interface ProgressReporter {
  update(done: number, detail?: string): void;
  log(line: string): void;
  finish(detail?: string): void;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export interface ProgressOptions {
  /** Off a terminal, print a line at every 10% (default); callers with their own milestone lines turn it off. */
  milestones?: boolean;
  /** Work already done when the bar starts (a resumed run): the ETA is the pace of what is done now. */
  start?: number;
}

export function createProgress(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
  options: ProgressOptions = {},
): ProgressReporter {
  const interactive = Boolean(stream.isTTY);
  const milestones = options.milestones ?? true;
  const start = options.start ?? 0;
  const started = Date.now();
  let lastDraw = 0;
  let lastLine = '';
  let nextMilestone = 0.1;

  const render = (done: number, detail: string): string => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const elapsed = (Date.now() - started) / 1000;
    const doneHere = done - start;
    const eta = doneHere > 0 ? (elapsed * Math.max(0, total - done)) / doneHere : Number.NaN;
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    return `${label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${total}${detail ? ` ${detail}` : ''} ETA ${formatDuration(eta)}`;
  };

  const clear = () => {
    if (interactive && lastLine) stream.write('\r\x1b[2K');
  };

  return {
    update(done, detail = '') {
      if (interactive) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        lastLine = render(done, detail);
        stream.write(`\r\x1b[2K${lastLine}`);
      } else if (milestones && total > 0 && done / total >= nextMilestone) {
        while (done / total >= nextMilestone) nextMilestone += 0.1;
        stream.write(`${render(done, detail)}\n`);
      }
    },
    log(line) {
      clear();
      stream.write(`${line}\n`);
      if (interactive && lastLine) stream.write(lastLine);
    },
    finish(detail = '') {
      clear();
      lastLine = '';
      const elapsed = (Date.now() - started) / 1000;
      stream.write(`${label} done in ${formatDuration(elapsed)}${detail ? `: ${detail}` : ''}\n`);
    },
  };
}
