/**
 * Small pieces shared by the simulators: a seeded random source, a tracked timer set that
 * `stop()` can clear, a JSON HTTP server on a random local port, and a change-driven waiter.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Every timer a simulator starts goes through here: unref'd, cleared on `clearAll()`, and
 * counted so `idle()` knows whether the simulator still has something of its own to do.
 * Long-lived timers wait on the outside world (a caller's input, a first command) and do not
 * count against idleness.
 */
export class TimerSet {
  private readonly timers = new Map<NodeJS.Timeout, { longLived: boolean }>();
  private stopped = false;

  constructor(
    private readonly onChange: () => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  after(ms: number, fn: () => void, longLived = false): NodeJS.Timeout | undefined {
    if (this.stopped) return undefined;
    const handle = setTimeout(
      () => {
        this.timers.delete(handle);
        try {
          fn();
        } catch (error) {
          this.onError(error);
        }
        this.onChange();
      },
      Math.max(0, ms),
    );
    handle.unref();
    this.timers.set(handle, { longLived });
    return handle;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (!this.after(ms, resolve)) resolve();
    });
  }

  cancel(handle: NodeJS.Timeout | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    if (this.timers.delete(handle)) this.onChange();
  }

  shortPending(): number {
    let n = 0;
    for (const t of this.timers.values()) if (!t.longLived) n++;
    return n;
  }

  clearAll(): void {
    this.stopped = true;
    for (const handle of this.timers.keys()) clearTimeout(handle);
    this.timers.clear();
  }
}

/** Resolves with the predicate's first truthy value, re-checked on every change and every 10 ms. */
export function waitUntil<T>(changes: EventEmitter, predicate: () => T | undefined | null | false, timeoutMs: number, what = 'condition'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const check = (): boolean => {
      let value: T | undefined | null | false;
      try {
        value = predicate();
      } catch (error) {
        finish();
        reject(error instanceof Error ? error : new Error(String(error)));
        return true;
      }
      if (value) {
        finish();
        resolve(value);
        return true;
      }
      return false;
    };
    const onChange = (): void => {
      check();
    };
    const poll = setInterval(onChange, 10);
    poll.unref();
    const deadline = setTimeout(() => {
      finish();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    deadline.unref();
    function finish(): void {
      clearInterval(poll);
      clearTimeout(deadline);
      changes.off('change', onChange);
    }
    if (!check()) changes.on('change', onChange);
  });
}

/** Resolves once `isIdle()` has held across two macrotask turns. */
export async function waitIdle(changes: EventEmitter, isIdle: () => boolean, timeoutMs: number): Promise<void> {
  for (;;) {
    await waitUntil(changes, isIdle, timeoutMs, 'the simulator to go idle');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    if (isIdle()) return;
  }
}

export interface JsonRequest {
  readonly method: string;
  /** Path without query string, still percent-encoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** Parsed JSON body; `undefined` when empty. */
  readonly body: unknown;
  readonly raw: IncomingMessage;
  readonly res: ServerResponse;
}

export interface JsonReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** What a handler returns: a reply, or 'held' when it took over the response itself. */
export type HandlerResult = JsonReply | 'held';

export interface JsonServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

export function sendJson(res: ServerResponse, reply: JsonReply): void {
  if (res.writableEnded || res.destroyed) return;
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  res.end(text);
}

/** An HTTP server on 127.0.0.1, random port, that parses JSON bodies and answers 400 on bad JSON. */
export async function startJsonServer(handler: (req: JsonRequest) => Promise<HandlerResult>, onError: (error: unknown) => void): Promise<JsonServer> {
  const server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const url = new URL(raw.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          sendJson(res, { status: 400, body: { errors: [{ code: '10002', title: 'Invalid JSON', detail: 'The request body is not valid JSON.' }] } });
          return;
        }
      }
      handler({ method: raw.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: raw.headers, body, raw, res }).then(
        (result) => {
          if (result !== 'held') sendJson(res, result);
        },
        (error: unknown) => {
          onError(error);
          sendJson(res, { status: 500, body: { errors: [{ code: '10007', title: 'Unexpected error', detail: String(error) }] } });
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An emitter that signals "something changed" for waiters; no listener limit. */
export function changeEmitter(): EventEmitter {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return emitter;
}

/**
 * What every simulator keeps about itself: change signals for waiters, its own errors, its
 * timers, whether it was stopped; and `controls`, the isIdle/idle/waitFor/stop every simulator offers.
 */
export function simulatorState() {
  const changes = changeEmitter();
  const changed = (): void => {
    changes.emit('change');
  };
  const errors: unknown[] = [];
  const recordError = (error: unknown): void => {
    errors.push(error);
  };
  const timers = new TimerSet(changed, recordError);
  let stopped = false;
  return {
    changes,
    changed,
    errors,
    recordError,
    timers,
    isStopped: (): boolean => stopped,
    /** `stop` clears the timers and runs `close` once. */
    controls(isIdle: () => boolean, close: () => Promise<void>) {
      return {
        isIdle,
        idle: (timeoutMs = 30_000): Promise<void> => waitIdle(changes, isIdle, timeoutMs),
        waitFor: <T>(predicate: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> => waitUntil(changes, predicate, timeoutMs),
        stop: async (): Promise<void> => {
          if (stopped) return;
          stopped = true;
          timers.clearAll();
          await close();
          changed();
        },
      };
    },
  };
}
