import type { Config } from '../config.js';
import type { MessageReturns } from '../scheduler/poll-queue.js';
import type { SentimentSource } from '../sentiment/sentiment-source.js';
import type { SessionStore } from '../store/session-store.js';
import type { CallLoop, CommandExecutor } from './call-loop.js';
import type { PollerApp } from './poller-app.js';
import { pollerOf } from './poller-runtime.js';
import { createShared, type RuntimeOptions } from './shared-runtime.js';
import type { WebhookApp } from './webhook-app.js';
import { webhookOf } from './webhook-runtime.js';

export type { RuntimeOptions } from './shared-runtime.js';

/** Both use cases over one set of clients: for local tooling and tests that drive a whole call in one process. */
export interface Runtime {
  readonly store: SessionStore;
  readonly loop: CallLoop;
  readonly executor: CommandExecutor;
  readonly webhook: WebhookApp;
  readonly poller: PollerApp;
  readonly returns: MessageReturns;
  readonly source: SentimentSource | undefined;
}

export async function createRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const shared = await createShared(config, options);
  const { poller, source } = pollerOf(options, shared);
  return { store: shared.store, loop: shared.loop, executor: shared.executor, webhook: webhookOf(config, options, shared), poller, returns: shared.returns, source };
}
