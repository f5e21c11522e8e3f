import { loadConfig, type Config } from '../../lib/config.js';
import { secretKeys } from '../../lib/settings/table.js';

/** The secret is read once per cold start; a slow Secrets Manager gets a few short tries, not the whole invocation. */
const secretRequestMs = 2000;
const secretTries = 3;

/**
 * The environment with the secret's values (the settings table's `secret` rows) merged in.
 * In Lambda the secrets come from Secrets Manager (APP_SECRET_ARN), read once per cold start
 * (the config built from them lives as long as the function instance); locally they are plain
 * variables.
 */
export async function resolveEnvironment(env: NodeJS.ProcessEnv): Promise<Record<string, string | undefined>> {
  const arn = env.APP_SECRET_ARN;
  if (!arn) return { ...env };
  // The runtime's SDK, loaded here, not at start-up: only deployed functions read secrets this way.
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ maxAttempts: secretTries, requestHandler: { requestTimeout: secretRequestMs } });
  let secret: unknown;
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    secret = JSON.parse(SecretString ?? '{}');
  } finally {
    client.destroy();
  }
  if (typeof secret !== 'object' || secret === null) throw new Error('The app secret must be a JSON object');
  const merged: Record<string, string | undefined> = { ...env };
  for (const key of secretKeys) {
    const value = (secret as Record<string, unknown>)[key];
    if (typeof value === 'string' && value !== '') merged[key] = value;
  }
  return merged;
}

export async function loadFunctionConfig(env: NodeJS.ProcessEnv): Promise<Config> {
  return loadConfig(await resolveEnvironment(env), { requireQueue: true });
}
