/*
 * A progress bar on stderr. On a terminal it redraws one line; elsewhere (CI, pipes)
 * it prints a line at every tenth so logs stay short.
 */
export class ProgressBar {
  private done = 0;
  private lastDecile = -1;
  private readonly started = performance.now();

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  tick(extra = ''): void {
    this.done++;
    if (this.stream.isTTY) {
      this.draw(extra);
    } else {
      const decile = Math.floor((this.done / this.total) * 10);
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        this.stream.write(`${this.label} ${this.done}/${this.total}\n`);
      }
    }
  }

  finish(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private draw(extra: string): void {
    const width = 30;
    const filled = Math.round((this.done / this.total) * width);
    const rate = this.done / ((performance.now() - this.started) / 1000);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const text = `${this.label} ${bar} ${this.done}/${this.total} ${rate.toFixed(1)}/s ${extra}`;
    this.stream.write(`\r${text.slice(0, (this.stream.columns ?? 100) - 1)}\x1b[K`);
  }
}
