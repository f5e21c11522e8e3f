import type { MessageReturns } from '../scheduler/poll-queue.js';
import type { SentimentSource } from '../sentiment/sentiment-source.js';
import { createSymblSource } from '../symbl/symbl-source.js';
import type { Config } from '../config.js';
import { createPollerApp, type PollerApp } from './poller-app.js';
import { createShared, type RuntimeOptions, type Shared } from './shared-runtime.js';

export function pollerOf(options: RuntimeOptions, shared: Shared): { poller: PollerApp; source: SentimentSource | undefined } {
  const source = shared.symbl ? createSymblSource(shared.symbl) : undefined;
  return { poller: createPollerApp({ loop: shared.loop, sessions: shared.store, lookups: shared.store, cursors: shared.store, source, log: options.log, nowMs: shared.nowMs, settings: shared.settings }), source };
}

/** What the poller function's batches need: the use case, and a way to put a failed message back soon. */
export interface PollerRuntime {
  readonly poller: PollerApp;
  readonly returns: MessageReturns;
}

/** The poller function's use case, with what it needs and nothing else. */
export async function createPollerRuntime(config: Config, options: RuntimeOptions): Promise<PollerRuntime> {
  const shared = await createShared(config, options);
  return { poller: pollerOf(options, shared).poller, returns: shared.returns };
}
