// A one-line progress display on stderr, only when stderr is a terminal (never in CI logs or
// when the output is piped).

export interface Progress {
  step(label: string): void;
  note(line: string): void;
  done(): void;
}

export function makeProgress(enabled: boolean, total: number): Progress {
  const tty = enabled && process.stderr.isTTY === true;
  let i = 0;
  const started = Date.now();
  const clear = () => {
    if (tty) process.stderr.write('\r\x1b[K');
  };
  return {
    step(label) {
      i++;
      if (!tty) return;
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      const width = process.stderr.columns ?? 100;
      const line = `[${Math.min(i, total)}/${total} ${secs}s] ${label}`;
      process.stderr.write(`\r\x1b[K${line.slice(0, width - 1)}`);
    },
    note(line) {
      if (!tty) return;
      clear();
      process.stderr.write(`${line}\n`);
    },
    done() {
      clear();
    },
  };
}
