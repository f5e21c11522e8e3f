/**
 * A policy written as JSON: the live policy's own settings by their variable names, each
 * optional (what is left out is the live policy's value). `SHADOW_POLICY` and
 * `npm run replay -- --policy FILE` both take one:
 *
 *     { "SENTIMENT_THRESHOLD": -0.6, "SENTIMENT_STREAK_LENGTH": 2 }
 *
 * Values may be numbers or strings; each is checked by the setting's own rule.
 */
import type { PolicySettings } from '../core/model.js';
import { parseSetting, type SettingName } from './table.js';

/** The policy's settings, and the field of `PolicySettings` each one sets. */
export const policyFields = {
  SENTIMENT_THRESHOLD: 'utteranceThreshold',
  SENTIMENT_WINDOW_SIZE: 'windowSize',
  SENTIMENT_WINDOW_THRESHOLD: 'windowThreshold',
  SENTIMENT_STREAK_LENGTH: 'streakLength',
  SENTIMENT_NEGATIVE_BELOW: 'negativeBelow',
} as const satisfies Partial<Record<SettingName, keyof PolicySettings>>;

export type PolicyFileResult = { readonly policy: PolicySettings } | { readonly problems: readonly string[] };

/** Reads a policy from JSON text over `base`; every problem names its field (`where` says whose: `SHADOW_POLICY`, a file name). */
export function parsePolicyJson(text: string, base: PolicySettings, where: string): PolicyFileResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { problems: [`${where} is not JSON: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problems: [`${where} must be a JSON object of policy settings`] };
  const problems: string[] = [];
  const policy: Record<string, number> = { ...base };
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!Object.hasOwn(policyFields, name)) {
      problems.push(`${where} has ${name}, which is not a policy setting (${Object.keys(policyFields).join(', ')})`);
      continue;
    }
    if (typeof value !== 'number' && typeof value !== 'string') {
      problems.push(`${where}: ${name} must be a number`);
      continue;
    }
    const parsed = parseSetting(name as keyof typeof policyFields, String(value));
    problems.push(...parsed.problems.map((p) => `${where}: ${p}`));
    if (parsed.value !== undefined) policy[policyFields[name as keyof typeof policyFields]] = parsed.value as number;
  }
  const result = policy as unknown as PolicySettings;
  if (result.windowThreshold < result.utteranceThreshold) {
    problems.push(`${where}: SENTIMENT_WINDOW_THRESHOLD must not be below SENTIMENT_THRESHOLD (the window rule would never fire first)`);
  }
  return problems.length > 0 ? { problems } : { policy: result };
}
