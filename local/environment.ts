/**
 * The product's environment for a run on this machine with no accounts (the demo, the tests,
 * the benchmarks): one set of test phone numbers, one set of settings, each run filling in
 * where its simulators listen and what it overrides.
 */

/** Numbers of the simulated world: ours (customers call it), the analyzer's, the operators'. */
export const testNumbers = {
  conference: '+15550001000',
  symbl: '+15550009999',
  operators: ['+15550002001', '+15550002002'],
} as const;

export interface ProductEnvironment {
  readonly source: 'symbl' | 'telnyx';
  /** The Telnyx stand-in: its API base (`…/v2`) and the key its webhooks are signed with. */
  readonly telnyx: { readonly baseUrl: string; readonly publicKeyBase64: string };
  /** The Symbl stand-in's base URL (Symbl source). */
  readonly symblBaseUrl?: string;
  readonly conferenceName?: string;
  readonly tableName?: string;
  readonly queueUrl?: string;
  /** Anything else, last. */
  readonly overrides?: Readonly<Record<string, string>>;
}

/** The settings the product reads, for a local run against the simulators. */
export function productEnvironment(options: ProductEnvironment): Record<string, string> {
  return {
    TELNYX_API_KEY: 'KEY-simulated',
    TELNYX_PUBLIC_KEY: options.telnyx.publicKeyBase64,
    TELNYX_BASE_URL: options.telnyx.baseUrl,
    TELNYX_CONNECTION_ID: 'sim-connection',
    CONFERENCE_NUMBER: testNumbers.conference,
    CONFERENCE_NAME: options.conferenceName ?? 'ivr',
    TRANSFER_NUMBER: testNumbers.operators.join(','),
    SENTIMENT_SOURCE: options.source,
    ...(options.source === 'symbl' && options.symblBaseUrl !== undefined
      ? { SYMBL_APP_ID: 'sim-app', SYMBL_APP_SECRET: 'sim-secret', SYMBL_BASE_URL: options.symblBaseUrl, SYMBL_NUMBER: testNumbers.symbl }
      : {}),
    ...(options.tableName !== undefined ? { TABLE_NAME: options.tableName } : {}),
    ...(options.queueUrl !== undefined ? { POLL_QUEUE_URL: options.queueUrl } : {}),
    ANALYZER_JOIN_TIMEOUT_SECONDS: '2',
    OPERATOR_RING_TIMEOUT_SECONDS: '5',
    ...options.overrides,
  };
}

/** Symbl stand-in credentials matching {@link productEnvironment}. */
export const simulatedSymblApp = { appId: 'sim-app', appSecret: 'sim-secret' } as const;
