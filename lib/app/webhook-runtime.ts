import type { Config } from '../config.js';
import type { RoutingSettings } from '../core/routing.js';
import { importTelnyxPublicKey } from '../telnyx/signature.js';
import { createShared, type RuntimeOptions, type Shared } from './shared-runtime.js';
import { createWebhookApp, type WebhookApp } from './webhook-app.js';

/** The routing settings a deployment's config implies. */
export function routingSettings(config: Config, scoresTranscripts: boolean): RoutingSettings {
  return {
    source: config.sentimentSource,
    analyzerNumbers: config.symbl?.numbers ?? [],
    conferenceNamePrefix: config.telnyx.conferenceNamePrefix,
    conferenceNumber: config.telnyx.conferenceNumber,
    scoresTranscripts,
    analyzerIdentifySeconds: Math.max(30, config.analyzerJoinTimeoutSeconds),
  };
}

export function webhookOf(config: Config, options: RuntimeOptions, shared: Shared): WebhookApp {
  if (config.sentimentSource === 'telnyx' && !options.scorer) throw new Error('The telnyx sentiment source needs a scorer');
  return createWebhookApp({
    loop: shared.loop,
    lookups: shared.store,
    digits: shared.store,
    callers: shared.store,
    log: options.log,
    nowMs: shared.nowMs,
    publicKey: config.telnyx.verifySignatures ? importTelnyxPublicKey(config.telnyx.publicKey) : undefined,
    routing: routingSettings(config, config.sentimentSource === 'telnyx' && options.scorer !== undefined),
    scorer: options.scorer,
  });
}

/** The webhook function's use case, with what it needs and nothing else. */
export async function createWebhookRuntime(config: Config, options: RuntimeOptions): Promise<WebhookApp> {
  return webhookOf(config, options, await createShared(config, options));
}
