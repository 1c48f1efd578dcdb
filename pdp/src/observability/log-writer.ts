/**
 * The log destination: lines are encoded straight into a buffer and written out together,
 * one `fs.write` in flight at a time, at most `flushMs` (10 ms) after the first pending line
 * or as soon as 64 KiB are pending.
 *
 * Why not pino.destination (sonic-boom): its write() measures the accumulated buffer string
 * with Buffer.byteLength on every line, which flattens a growing rope: ~3.5 µs per decision
 * line measured here, as much as the decision itself. Flushing on every event-loop turn was
 * tried too: under load a turn holds only a few requests, and the write call (~15 µs)
 * dominated. Encoding each line into a shared buffer costs ~0.2 µs; joining strings ~0.6 µs.
 */
import { write, writeSync } from 'node:fs';

export interface LineWriterOptions {
  fd: number;
  /** Longest a line waits before it is written (default 10 ms). */
  flushMs?: number;
  /** Buffered bytes beyond which lines are dropped (a stuck stdout must not exhaust memory). */
  maxBuffered?: number;
}

const CHUNK = 64 * 1024;

export class LineWriter {
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);
  private off = 0;
  /**
   * The chunk last written out, reused for the next batch: a fresh 64 KiB buffer per flush
   * is external memory V8 counts towards its GC heuristics.
   */
  private spare: Buffer | undefined;
  /** Filled buffers waiting behind `buf` (only when more than a chunk piles up during a write). */
  private full: Buffer[] = [];
  private fullBytes = 0;
  private writing = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  /** Lines dropped because the output could not keep up. */
  dropped = 0;
  private readonly fd: number;
  private readonly maxBuffered: number;
  private readonly flushMs: number;

  constructor(options: LineWriterOptions) {
    this.fd = options.fd;
    this.maxBuffered = options.maxBuffered ?? 16 * 1024 * 1024;
    this.flushMs = options.flushMs ?? 10;
  }

  private get pendingBytes(): number {
    return this.fullBytes + this.off;
  }

  /** pino's DestinationStream contract: one complete line (or several) per call. */
  write(line: string): boolean {
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    const max = line.length * 3;
    if (this.pendingBytes + line.length > this.maxBuffered) {
      this.dropped++;
      return false;
    }
    if (this.off + max > this.buf.length) {
      if (this.off > 0) {
        this.full.push(this.buf.subarray(0, this.off));
        this.fullBytes += this.off;
      }
      this.buf = Buffer.allocUnsafe(Math.max(CHUNK, max));
      this.off = 0;
    }
    this.off += this.buf.write(line, this.off, 'utf8');
    if (this.writing) return true;
    if (this.pendingBytes >= CHUNK) this.flushAsync();
    else this.schedule();
    return true;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.timer = setTimeout(this.flushAsync, this.flushMs);
  }

  private readonly flushAsync = (): void => {
    if (this.scheduled) {
      clearTimeout(this.timer);
      this.scheduled = false;
    }
    if (this.writing || this.pendingBytes === 0) return;
    this.writing = true;
    this.writeOut(this.take(), 0);
  };

  /** Hands over everything pending as one buffer; later lines go into a fresh one. */
  private take(): Buffer {
    const parts = this.full;
    if (this.off > 0) parts.push(this.buf.subarray(0, this.off));
    const out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    this.full = [];
    this.fullBytes = 0;
    this.buf = this.spare ?? Buffer.allocUnsafe(CHUNK);
    this.spare = undefined;
    this.off = 0;
    return out;
  }

  private writeOut(buf: Buffer, offset: number): void {
    write(this.fd, buf, offset, buf.length - offset, null, (err, n) => {
      if (err) {
        // A non-blocking pipe that is full: try again shortly; any other error loses this batch.
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          setTimeout(() => this.writeOut(buf, offset), 10);
          return;
        }
      } else if (offset + n < buf.length) {
        this.writeOut(buf, offset + n);
        return;
      }
      this.writing = false;
      // The written bytes are done with; a whole chunk's memory can take the next batch.
      if (buf.buffer.byteLength === CHUNK && buf.byteOffset === 0) this.spare = Buffer.from(buf.buffer, 0, CHUNK);
      if (this.pendingBytes >= CHUNK) this.flushAsync();
      else if (this.pendingBytes > 0) this.schedule();
    });
  }

  /**
   * Writes everything buffered before returning (shutdown). A write already in flight is not
   * waited for; its bytes and these may then reach the output in either order.
   */
  flushSync(): void {
    if (this.scheduled) {
      clearTimeout(this.timer);
      this.scheduled = false;
    }
    if (this.pendingBytes === 0) return;
    const buf = this.take();
    let offset = 0;
    for (let attempts = 0; offset < buf.length && attempts < 1000; attempts++) {
      try {
        offset += writeSync(this.fd, buf, offset, buf.length - offset);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      }
    }
  }
}
