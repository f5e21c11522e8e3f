/**
 * README.md's settings tables, generated from the settings table (lib/settings/table.ts) so
 * that names, rules, defaults and secrecy cannot drift from what the code reads. Each table
 * stands between two marker comments; `npx tsx local/readme-settings.ts` rewrites them in
 * place, and a unit test fails while README.md is not current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { settingMeanings } from '../lib/settings/meanings.js';
import { settingRows, type SettingSpec, secretKeys } from '../lib/settings/table.js';

type Row = (typeof settingRows)[number];

const code = (value: string | number | boolean): string => `\`${value}\``;
const andList = (values: readonly string[]): string =>
  values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} and ${values.at(-1)}`;

function value(spec: SettingSpec): string {
  return [spec.rule.describe, spec.required ? 'required' : '', spec.secret ? '**secret**' : ''].filter(Boolean).join('; ');
}

function table(heading: string, rows: readonly Row[]): string {
  return [
    `| ${heading} | value | default | meaning |`,
    '| --- | --- | --- | --- |',
    ...rows.map(([name, spec]) => {
      const fallback = spec.default === undefined ? (spec.whenUnset ?? '') : code(spec.default);
      return `|${[code(name), value(spec), fallback, settingMeanings[name]].map((cell) => (cell ? ` ${cell} ` : ' ')).join('|')}|`;
    }),
  ].join('\n');
}

/** Each generated region's name and its Markdown. */
export function settingsSections(): Record<string, string> {
  const secrets = andList(secretKeys.map(code));
  return {
    // What the functions and `npm start` read from their environment.
    environment: table('variable', settingRows.filter(([, spec]) => spec.use !== 'stack')),
    // What a deployment is set with: the CDK app's settings and the stack's props, by variable name.
    deploy: [
      table('setting', settingRows.filter(([, spec]) => spec.use === 'stack' || (spec.prop !== undefined && !spec.secret))),
      '',
      `Secrets are never settings: ${secrets} live in one Secrets Manager secret (a JSON object with those keys). ` +
        'The functions get only its ARN (`APP_SECRET_ARN`) and read it once per cold start.',
    ].join('\n'),
  };
}

const begin = (name: string) => `<!-- settings:${name} (generated from lib/settings/table.ts: npx tsx local/readme-settings.ts) -->`;
const end = (name: string) => `<!-- /settings:${name} -->`;

/** The README with each generated region replaced by its current text; throws if a marker is missing. */
export function withCurrentSettings(readme: string): string {
  let result = readme;
  for (const [name, markdown] of Object.entries(settingsSections())) {
    const from = result.indexOf(begin(name));
    const to = result.indexOf(end(name));
    if (from < 0 || to < from) throw new Error(`README.md has no region ${begin(name)} ... ${end(name)}`);
    result = `${result.slice(0, from)}${begin(name)}\n${markdown}\n${result.slice(to)}`;
  }
  return result;
}

export const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(readmePath, withCurrentSettings(readFileSync(readmePath, 'utf8')));
  console.log('README.md: settings tables rewritten from lib/settings/table.ts');
}
