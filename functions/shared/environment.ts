import { loadConfig, type Config } from '../../lib/config.js';
import { secretKeys } from '../../lib/settings/table.js';

/**
 * The environment with the secret's values (the settings table's `secret` rows) merged in.
 * In Lambda the secrets come from Secrets Manager (APP_SECRET_ARN), read once per cold start
 * and cached by Powertools; locally they are plain variables.
 */
export async function resolveEnvironment(env: NodeJS.ProcessEnv): Promise<Record<string, string | undefined>> {
  const arn = env.APP_SECRET_ARN;
  if (!arn) return { ...env };
  // Loaded here, not at start-up: only deployed functions read secrets this way.
  const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
  const secret = await getSecret<Record<string, unknown>>(arn, { transform: 'json', maxAge: 300 });
  const merged: Record<string, string | undefined> = { ...env };
  for (const key of secretKeys) {
    const value = secret?.[key];
    if (typeof value === 'string' && value !== '') merged[key] = value;
  }
  return merged;
}

export async function loadFunctionConfig(env: NodeJS.ProcessEnv): Promise<Config> {
  return loadConfig(await resolveEnvironment(env), { requireQueue: true });
}
