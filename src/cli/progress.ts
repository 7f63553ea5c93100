// A progress bar for long work, drawn on stderr only when stderr is a terminal (never in CI logs).

const barWidth = 30;
const redrawIntervalMs = 100;

export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

const silent: Progress = { update: () => {}, finish: () => {} };

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return silent;
  let lastDrawMs = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - lastDrawMs < redrawIntervalMs && done < total) return;
      lastDrawMs = now;
      const share = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(share * barWidth);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}`;
      const percent = `${Math.floor(share * 100)}`.padStart(3);
      stream.write(
        `\r${label} ${bar} ${percent}% ${done.toLocaleString('en')}/${total.toLocaleString('en')}`,
      );
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}
