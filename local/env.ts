import { existsSync } from 'node:fs';
import { settingRows } from '../lib/settings/table.js';

/** Names the original workshop's `.env` used, and the product's names for them (the table's `workshopName`). */
export const workshopAliases: Readonly<Record<string, string>> = Object.fromEntries(
  settingRows.flatMap(([name, spec]) => (spec.workshopName ? [[spec.workshopName, name]] : [])),
);

/**
 * The environment for a local run: `.env` (if present) under the real environment, with the
 * workshop's names mapped onto ours when ours are not set. Returns what it mapped, to say so.
 */
export function localEnvironment(path = '.env'): { env: Record<string, string | undefined>; mapped: string[] } {
  if (existsSync(path)) process.loadEnvFile(path);
  const env: Record<string, string | undefined> = { ...process.env };
  const mapped: string[] = [];
  for (const [old, current] of Object.entries(workshopAliases)) {
    if (env[current] === undefined && env[old] !== undefined) {
      env[current] = env[old];
      mapped.push(`${old} -> ${current}`);
    }
  }
  return { env, mapped };
}
