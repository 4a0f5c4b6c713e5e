// The worker's HTTP surface on node:http: POST /cron/update-stats (Bearer CRON_SECRET,
// compared in constant time), GET or HEAD /healthz and /metrics (Prometheus text format, prom-client),
// GET /status (the status page: open on loopback, bearer token otherwise).
// Refused tokens are counted (scoreline_http_unauthorized_total) and logged in summary:
// a burst of bad requests writes two lines per interval, not one per request.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sql } from '../db.ts';
import type { Logger } from '../log.ts';
import { loadStatus } from '../status/data.ts';
import { renderStatusPage } from '../status/html.ts';
import type { WorkerMetrics } from './metrics.ts';

export interface HttpDeps {
  sql: Sql;
  log: Logger;
  cronSecret: string | undefined;
  metrics: WorkerMetrics;
  workerRunning: () => boolean;
  /** How long refused requests are counted before one summary line (default 60 s). */
  rejectionLogIntervalMs?: number;
}

/** Distinct addresses remembered per interval; beyond it the summary says "at least". */
const MAX_ADDRESSES = 10_000;

/**
 * The log of refused /cron/update-stats requests: the first of a quiet period is logged
 * at once, the ones after it within the interval are only counted, and one line at the
 * end of the interval (or when the server closes) says how many, from how many addresses.
 */
export class RejectionLog {
  private suppressed = 0;
  private readonly addresses = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    private readonly counters: WorkerMetrics,
    private readonly intervalMs: number,
  ) {}

  record(remote: string | null): void {
    this.counters.unauthorized();
    if (this.timer === undefined) {
      this.log('warn', 'rejected /cron/update-stats: missing or wrong bearer token', {
        remote,
        note: `further rejections within ${this.intervalMs / 1000} s are counted and summarised in one line`,
      });
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
      return;
    }
    this.suppressed += 1;
    if (this.addresses.size < MAX_ADDRESSES) this.addresses.add(remote ?? 'unknown');
  }

  /** Writes the summary of the interval, if anything was counted, and starts a quiet period. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed > 0) {
      this.log('warn', 'rejected more /cron/update-stats requests: missing or wrong bearer token', {
        rejected: this.suppressed,
        addresses: this.addresses.size,
        addresses_capped: this.addresses.size >= MAX_ADDRESSES,
        interval_s: this.intervalMs / 1000,
      });
    }
    this.suppressed = 0;
    this.addresses.clear();
  }
}

/** Constant-time comparison of a presented token with the secret (hashing first makes the lengths equal). */
export function tokenMatches(presented: string, secret: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; version=0.0.4; charset=utf-8' : 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

async function updateStats(req: http.IncomingMessage, res: http.ServerResponse, deps: HttpDeps, rejections: RejectionLog): Promise<void> {
  if (!deps.cronSecret) {
    send(res, 503, { error: 'disabled', message: 'POST /cron/update-stats is disabled: CRON_SECRET is not configured on this worker' });
    return;
  }
  const header = req.headers.authorization ?? '';
  const match = /^Bearer (.+)$/.exec(header);
  if (!match || !tokenMatches(match[1]!, deps.cronSecret)) {
    rejections.record(req.socket.remoteAddress ?? null);
    send(
      res,
      401,
      { error: 'unauthorized', message: 'a valid Authorization: Bearer <CRON_SECRET> header is required' },
      { 'www-authenticate': 'Bearer' },
    );
    return;
  }
  const [row] = await deps.sql<{ job_id: string }[]>`select worker.enqueue_refresh('http', 0)::text as job_id`;
  const body = { status: 'queued', timestamp: new Date().toISOString(), jobId: row?.job_id ?? null };
  deps.log('info', 'refresh queued over HTTP', { job_id: body.jobId });
  send(res, 200, body);
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * GET /status: the status page. Open to requests from this machine (loopback); from anywhere
 * else it needs the bearer token (CRON_SECRET), and without one configured it is refused.
 */
async function statusPage(req: http.IncomingMessage, res: http.ServerResponse, deps: HttpDeps, rejections: RejectionLog): Promise<void> {
  if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
    if (!deps.cronSecret) {
      send(res, 403, {
        error: 'forbidden',
        message: 'the status page is served to 127.0.0.1 only unless CRON_SECRET is set (then with its bearer token)',
      });
      return;
    }
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!match || !tokenMatches(match[1]!, deps.cronSecret)) {
      rejections.record(req.socket.remoteAddress ?? null);
      send(
        res,
        401,
        { error: 'unauthorized', message: 'a valid Authorization: Bearer <CRON_SECRET> header is required off this machine' },
        { 'www-authenticate': 'Bearer' },
      );
      return;
    }
  }
  const html = renderStatusPage(await loadStatus(deps.sql));
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    'x-content-type-options': 'nosniff',
  });
  res.end(html);
}

async function healthz(res: http.ServerResponse, deps: HttpDeps): Promise<void> {
  let database = false;
  let queue: Record<string, number> = {};
  let error: string | undefined;
  try {
    const rows = await deps.sql<{ state: string; n: number }[]>`select state, count(*)::int as n from worker.job group by state`;
    database = true;
    queue = Object.fromEntries(rows.map((r) => [r.state, r.n]));
  } catch (err) {
    error = (err as Error).message;
  }
  const worker = deps.workerRunning();
  const ok = database && worker;
  send(res, ok ? 200 : 503, {
    status: ok ? 'ok' : 'unhealthy',
    database,
    worker,
    queue: { queued: queue.queued ?? 0, scheduled: queue.scheduled ?? 0, running: queue.running ?? 0, failed: queue.failed ?? 0 },
    ...(error ? { error } : {}),
  });
}

export function createHttpServer(deps: HttpDeps): http.Server {
  const rejections = new RejectionLog(deps.log, deps.metrics, deps.rejectionLogIntervalMs ?? 60_000);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // HEAD is GET without the body (node:http leaves the body out of a HEAD response).
    const route = `${req.method === 'HEAD' ? 'GET' : req.method} ${url.pathname}`;
    const handle = async () => {
      switch (route) {
        case 'POST /cron/update-stats':
          return updateStats(req, res, deps, rejections);
        case 'GET /healthz':
          return healthz(res, deps);
        case 'GET /status':
          return statusPage(req, res, deps, rejections);
        case 'GET /metrics':
          return send(res, 200, await deps.metrics.render(deps.sql, deps.workerRunning()), { 'content-type': deps.metrics.contentType });
        default:
          if (['/cron/update-stats', '/healthz', '/metrics', '/status'].includes(url.pathname)) {
            return send(res, 405, { error: 'method not allowed' }, { allow: url.pathname === '/cron/update-stats' ? 'POST' : 'GET, HEAD' });
          }
          return send(res, 404, { error: 'not found' });
      }
    };
    req.resume(); // bodies are not read: drain them
    handle().catch((err: Error) => {
      deps.log('error', 'HTTP handler failed', { route, error: err.message });
      if (!res.headersSent) send(res, 500, { error: 'internal error', message: err.message });
      else res.end();
    });
  });
  server.on('close', () => rejections.flush());
  return server;
}

export function listen(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}
