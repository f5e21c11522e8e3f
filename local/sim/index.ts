/** The Telnyx, Symbl and Comprehend simulators, for tests, the demo and the benchmarks. */
export * from './telnyx-simulator.js';
export * from './symbl-simulator.js';
export * from './comprehend-simulator.js';
export { createTelnyxModel, seededIds, type TelnyxModel, type TelnyxModelOptions } from './telnyx-model.js';
export { generateWebhookKeyPair, signedHeaders } from './webhook-signer.js';

/** Waits until every given simulator is idle at the same time (one going idle can wake another). */
export async function settle(sims: readonly { isIdle(): boolean; idle(timeoutMs?: number): Promise<void> }[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const sim of sims) await sim.idle(Math.max(1, deadline - Date.now()));
    await new Promise((resolve) => setImmediate(resolve));
    if (sims.every((sim) => sim.isIdle())) return;
    if (Date.now() > deadline) throw new Error(`Simulators not idle after ${timeoutMs} ms`);
  }
}
