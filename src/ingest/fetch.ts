// Where a load reads from: a file path, a file: URL, or an http(s) URL streamed as it
// downloads. Any other scheme (ftp://, s3://) is refused by name before anything is
// done. A download has a connect timeout (until the response headers), an idle timeout
// (no byte of the body for that long), and a bounded retry with exponential back-off
// for what may pass (a refused or dropped connection, a timeout before the headers, HTTP
// 408 / 429 / 5xx) — only before the first byte of the body: rows already read cannot
// be read twice, so a download that stalls or drops midway fails the load.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';

export class IngestError extends Error {
  override name = 'IngestError';
}

export interface HttpOptions {
  /** Milliseconds until the response headers (each attempt). Default 30 000. */
  connectTimeoutMs?: number;
  /** Milliseconds without a byte of the body before the download is given up. Default 60 000. */
  idleTimeoutMs?: number;
  /** Attempts after the first, for a failure that may pass. Default 3. */
  retries?: number;
  /** The first back-off; doubled after each attempt. Default 500 ms. */
  backoffMs?: number;
  /** Told about each retry (the CLI logs it). */
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
}

export const HTTP_DEFAULTS = { connectTimeoutMs: 30_000, idleTimeoutMs: 60_000, retries: 3, backoffMs: 500 } as const;

/** A URL scheme at the start of a location (two letters or more: not a drive letter). */
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * What a location is: a file path, or an http(s) URL. Refuses (IngestError) a scheme
 * that is neither, by name: ftp://host/x is not a file called "ftp:".
 */
export function classify(location: string): { kind: 'file'; path: string } | { kind: 'http'; url: string } {
  const scheme = SCHEME.exec(location)?.[1]?.toLowerCase();
  if (!scheme) return { kind: 'file', path: location };
  if (scheme === 'http' || scheme === 'https') return { kind: 'http', url: location };
  if (scheme === 'file') {
    try {
      return { kind: 'file', path: fileURLToPath(location) };
    } catch (err) {
      throw new IngestError(`${location}: not a file URL: ${(err as Error).message}`);
    }
  }
  throw new IngestError(`${location}: unsupported URL scheme ${scheme}: (a load reads a file path, a file: URL or an http(s) URL)`);
}

/** An error's message, with its cause's (fetch says "fetch failed" and puts the reason in the cause). */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

const seconds = (ms: number) => `${ms / 1000} s`;

/** Waits ms, or less when the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One attempt: the response once its headers are in, within the connect timeout. */
async function attempt(url: string, connectTimeoutMs: number, signal: AbortSignal | undefined) {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new IngestError(`no response within ${seconds(connectTimeoutMs)} (connect timeout)`)),
    connectTimeoutMs,
  );
  try {
    const res = await fetch(url, { signal: controller.signal });
    return { res, controller };
  } catch (err) {
    controller.abort();
    throw controller.signal.reason instanceof IngestError ? controller.signal.reason : err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The body of an http(s) URL as a byte stream, with timeouts and retries (see the top of
 * this file). The stream errors with an IngestError when the body stalls past the idle
 * timeout, and with the signal's reason when the signal aborts.
 */
export async function openUrl(url: string, opts: HttpOptions = {}, signal?: AbortSignal): Promise<Readable> {
  const { connectTimeoutMs, idleTimeoutMs, retries, backoffMs } = { ...HTTP_DEFAULTS, ...opts };
  for (let n = 0; ; n++) {
    if (signal?.aborted) throw signal.reason;
    let failure: string;
    let retryable: boolean;
    try {
      const { res, controller } = await attempt(url, connectTimeoutMs, signal);
      if (res.ok && res.body) return idleGuard(url, res.body as WebReadableStream<Uint8Array>, controller, idleTimeoutMs, signal);
      await res.body?.cancel().catch(() => {});
      failure = `HTTP ${res.status} ${res.statusText}`.trimEnd();
      retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      failure = describe(err);
      retryable = true;
    }
    const attempts = `${n + 1} attempt${n ? 's' : ''}`;
    if (!retryable || n >= retries) throw new IngestError(`${url}: ${failure}${retryable ? ` (gave up after ${attempts})` : ''}`);
    const delay = backoffMs * 2 ** n;
    opts.onRetry?.(n + 1, failure, delay);
    await sleep(delay, signal);
  }
}

/**
 * The body as a Node stream that errors when the server sends no byte for idleTimeoutMs
 * while the load waits for one (time the load itself takes between reads, COPY pushing
 * back, does not count).
 */
function idleGuard(
  url: string,
  body: WebReadableStream<Uint8Array>,
  controller: AbortController,
  idleTimeoutMs: number,
  signal: AbortSignal | undefined,
): Readable {
  const reader = body.getReader();
  let timer: NodeJS.Timeout | undefined;
  const fail = (err: unknown) => {
    clearTimeout(timer);
    controller.abort(err);
    out.destroy(err instanceof Error ? err : new Error(String(err)));
  };
  const onAbort = () => fail(signal?.reason);
  const out = new Readable({
    read() {
      clearTimeout(timer);
      timer = setTimeout(() => fail(new IngestError(`${url}: no data for ${seconds(idleTimeoutMs)} (idle timeout)`)), idleTimeoutMs);
      reader.read().then(
        ({ done, value }) => {
          clearTimeout(timer);
          if (done) out.push(null);
          else out.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (!out.destroyed) out.destroy(controller.signal.reason instanceof Error ? controller.signal.reason : (err as Error));
        },
      );
    },
    destroy(err, callback) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reader.cancel(err ?? undefined).catch(() => {});
      callback(err);
    },
  });
  if (signal) signal.addEventListener('abort', onAbort, { once: true });
  return out;
}

/** The input as a byte stream: a file, or an http(s) URL streamed as it downloads. */
export async function openLocation(location: string, http: HttpOptions = {}, signal?: AbortSignal): Promise<Readable> {
  const where = classify(location);
  if (where.kind === 'http') return openUrl(where.url, http, signal);
  const stream = fs.createReadStream(where.path);
  if (signal) {
    const onAbort = () => stream.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  return stream;
}
