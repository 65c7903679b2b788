/**
 * A one-line progress meter for long transfers (`send-file`, `bench`), redrawn in place on stderr with
 * `\r`. Commands create one only when the renderer says stdout is a terminal in text mode, so scripts,
 * pipes and `--json` never see it. Redraws are throttled; the last state is always drawn by `done()`.
 *
 * @module
 */

import { formatBytes, formatFixed, type Renderer } from "./render.ts";

/** Least time between two redraws. */
const REDRAW_MS = 100;

/** A progress line `<label>  <done> / <total> (<percent>%)`. */
export class ProgressMeter {
  readonly #out: Renderer;
  readonly #label: string;
  readonly #total: number;
  #last = Number.NEGATIVE_INFINITY;
  #width = 0;
  #current = 0;
  #finished = false;

  constructor(out: Renderer, label: string, total: number) {
    this.#out = out;
    this.#label = label;
    this.#total = total;
  }

  /** Records `current` bytes done; redraws at most every 100 ms. */
  update(current: number): void {
    this.#current = current;
    const now = performance.now();
    if (now - this.#last < REDRAW_MS) return;
    this.#last = now;
    this.#draw(this.#line());
  }

  /** Draws the final state (or `summary` instead) and ends the line. Idempotent. */
  done(summary?: string): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#last === Number.NEGATIVE_INFINITY && summary === undefined) return; // nothing was drawn
    this.#draw(summary ?? this.#line());
    this.#out.progress("\n");
  }

  #line(): string {
    const percent = this.#total === 0 ? 100 : (this.#current / this.#total) * 100;
    return `${this.#label}  ${formatBytes(this.#current)} / ${formatBytes(this.#total)} (${
      formatFixed(percent, 0)
    }%)`;
  }

  #draw(text: string): void {
    // Pad over the previous, possibly longer, line instead of relying on terminal escape codes.
    const pad = Math.max(0, this.#width - text.length);
    this.#width = text.length;
    this.#out.progress(`\r${text}${" ".repeat(pad)}`);
  }
}
