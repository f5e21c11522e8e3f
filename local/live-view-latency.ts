import type { Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { playAll, type Played, type PlayOptions } from './play.js';
import { dialsFor, scenarios as demoScenarios, type Scenario } from './scenarios.js';
import { startSimulatedStack, type SimulatedStack } from './simulated-stack.js';

/** One change of a call row the list showed: its state, or `null` when the row went away. */
export interface ListChange {
  readonly sessionId: string;
  readonly table: 'live' | 'ended';
  readonly state: string | null;
  /** The page's clock (the same machine's as the simulator's). */
  readonly atMs: number;
}

export interface ListRecorder {
  /** Every change so far, oldest first. Throws when the page was reloaded or navigated away. */
  read(): Promise<ListChange[]>;
}

/**
 * Records, inside the page, every change to the list's rows (a MutationObserver comparing each
 * row's `data-state` after every mutation), with the time the DOM showed it.
 */
export async function recordListChanges(page: Page): Promise<ListRecorder> {
  await page.evaluate(recorderScript);
  return {
    async read() {
      const log = (await page.evaluate('window.__listChanges')) as ListChange[] | undefined;
      if (!log) throw new Error('The list view was reloaded or left: its change log is gone');
      return log;
    },
  };
}

/** Runs in the page (as source text: this project's TypeScript has no DOM types). */
const recorderScript = `(() => {
  const log = [];
  let seen = new Map();
  const look = () => {
    const now = new Map();
    for (const table of ['live', 'ended']) {
      for (const row of document.querySelectorAll('#' + table + '-table tbody tr[data-session-id]')) {
        now.set(table + ' ' + row.dataset.sessionId, row.dataset.state ?? '');
      }
    }
    const atMs = Date.now();
    for (const [key, state] of now) {
      if (seen.get(key) === state) continue;
      const [table, sessionId] = key.split(' ');
      log.push({ sessionId, table, state, atMs });
    }
    for (const key of seen.keys()) {
      if (now.has(key)) continue;
      const [table, sessionId] = key.split(' ');
      log.push({ sessionId, table, state: null, atMs });
    }
    seen = now;
  };
  look();
  new MutationObserver(look).observe(document.getElementById('list-view'), { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  window.__listChanges = log;
})()`;

/** One webhook's way to the page: sent by the simulator, answered by the webhook function, shown by the list. */
export interface LatencySample {
  readonly scenario: string;
  readonly sessionId: string;
  readonly change: 'operator joined' | 'customer hung up';
  /** The Telnyx webhook that carries the change. */
  readonly webhook: 'conference.participant.joined' | 'call.hangup';
  /** When the simulator generated it and queued it for delivery. */
  readonly sentAtMs: number;
  /** When the webhook function answered it (2xx). */
  readonly answeredAtMs: number | undefined;
  /** When the list first showed it: "with an operator", or the call gone from the live calls. */
  readonly shownAtMs: number;
  /** `shownAtMs - sentAtMs`. */
  readonly latencyMs: number;
}

export interface LatencyMeasurement {
  readonly samples: readonly LatencySample[];
  /** Key webhooks whose change the page never showed (each one a failure of the live view). */
  readonly missed: readonly { readonly scenario: string; readonly sessionId: string; readonly change: LatencySample['change'] }[];
  readonly played: readonly Played[];
}

export interface LatencyOptions {
  /** A running simulated stack; without one, a Telnyx-source stack is started (and stopped). */
  readonly world?: SimulatedStack;
  /** A page to use (it is sent to the list); without one, chromium is launched (and closed). */
  readonly page?: Page;
  readonly scenarios?: readonly Scenario[];
  /** The simulators' time scale; 1 (calls at their real pace) by default. */
  readonly timeScale?: number;
  readonly play?: PlayOptions;
}


/**
 * How long a key webhook takes to show on the supervisors' list: plays the demo's scenarios with
 * the list open, and for every operator joining (`conference.participant.joined` on an operator
 * leg) and every customer hanging up (`call.hangup` on the customer's leg) measures the time from
 * the simulator sending the webhook to the list's DOM showing the change.
 */
export async function measureLiveViewLatency(options: LatencyOptions = {}): Promise<LatencyMeasurement> {
  const timeScale = options.timeScale ?? 1;
  const world = options.world ?? (await startSimulatedStack({ source: 'telnyx', timeScale }));
  const browser = options.page ? undefined : await launchBrowser();
  try {
    const page = options.page ?? (await browser!.newPage());
    await page.goto(world.stack.pageUrl);
    await page.locator('#list-view').waitFor({ state: 'visible' });
    const recorder = await recordListChanges(page);

    const sent: { type: string; id: string; callControlId: unknown; atMs: number }[] = [];
    const stopListening = world.telnyx.onEvent((event) => {
      if (event.event_type === 'call.hangup' || event.event_type === 'conference.participant.joined') {
        sent.push({ type: event.event_type, id: event.id, callControlId: event.payload.call_control_id, atMs: Date.now() });
      }
    });
    let played: Played[];
    try {
      played = await playAll(world, options.scenarios ?? demoScenarios, timeScale, { staggerMs: 150, callerPrefix: '030', ...options.play });
    } finally {
      stopListening();
    }
    const changes = await recorder.read();

    const samples: LatencySample[] = [];
    const missed: LatencyMeasurement['missed'][number][] = [];
    for (const { run, session } of played) {
      if (!session) continue;
      const operatorLegs = new Set(dialsFor(world.telnyx, run).map((d) => d.callControlId));
      const keyEvents = sent.flatMap((e): { e: (typeof sent)[number]; change: LatencySample['change'] }[] => {
        if (e.type === 'call.hangup' && e.callControlId === run.customer.callControlId) return [{ e, change: 'customer hung up' }];
        if (e.type === 'conference.participant.joined' && typeof e.callControlId === 'string' && operatorLegs.has(e.callControlId)) return [{ e, change: 'operator joined' }];
        return [];
      });
      for (const { e, change } of keyEvents) {
        const shows = (c: ListChange) =>
          c.sessionId === session.id && c.atMs >= e.atMs && (change === 'operator joined' ? c.state === 'with an operator' : c.state === 'ended' || (c.table === 'live' && c.state === null));
        const shown = changes.find(shows);
        if (!shown) {
          missed.push({ scenario: run.scenario.name, sessionId: session.id, change });
          continue;
        }
        const answered = world.telnyx.webhooks.find((w) => w.id === e.id && w.status >= 200 && w.status < 300);
        samples.push({
          scenario: run.scenario.name,
          sessionId: session.id,
          change,
          webhook: e.type as LatencySample['webhook'],
          sentAtMs: e.atMs,
          answeredAtMs: answered?.at,
          shownAtMs: shown.atMs,
          latencyMs: shown.atMs - e.atMs,
        });
      }
    }
    return { samples, missed, played };
  } finally {
    await browser?.close();
    if (!options.world) await world.stop();
  }
}
