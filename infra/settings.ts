import { Token, Tokenization } from 'aws-cdk-lib';
import { ConfigError, crossFieldProblems } from '../lib/config.js';
import {
  type NamesWhere,
  type ParsedValue,
  parseSetting,
  readSettings,
  type SettingName,
  settingRows,
  type SettingSpec,
  settingsTable,
  type SettingsTable,
} from '../lib/settings/table.js';

/** Reads one setting by name; infra/app.ts answers from CDK context, then the environment. */
export type SettingLookup = (name: string) => unknown;

/** The settings that are stack props: the table's rows with a `prop` that are not secret. */
type PropName = Exclude<NamesWhere<{ readonly prop: string }>, NamesWhere<{ readonly secret: true }>>;
type RequiredPropName = Extract<PropName, NamesWhere<{ readonly required: true }>>;
type PropOf<N extends SettingName> = SettingsTable[N] extends { readonly prop: infer P extends string } ? P : never;

/**
 * The stack's settings: one readonly prop per row of the settings table
 * (lib/settings/table.ts) that has a `prop` and is not `secret`, typed by the row's rule. The
 * row names the environment variable (and CDK context key) the prop is read from and passed
 * on under, its default when omitted and its meaning; README.md, "Deploying", lists them all.
 * Secrets are never props.
 */
export type SentimentIvrSettings = { readonly [N in RequiredPropName as PropOf<N>]: ParsedValue<N> } & {
  readonly [N in Exclude<PropName, RequiredPropName> as PropOf<N>]?: ParsedValue<N>;
};

type PropRow = readonly [PropName, SettingSpec & { readonly prop: keyof SentimentIvrSettings }];
const propRows = settingRows.filter(([, spec]) => spec.prop !== undefined && !spec.secret) as unknown as readonly PropRow[];
const requiredNames = propRows.filter(([, spec]) => spec.required).map(([name]) => name);

/** Fake values, valid in form only, used when none of the required settings is given. */
export const exampleSettings = {
  TELNYX_CONNECTION_ID: 'example-connection-id',
  // 32 zero bytes: the right shape, and no key anyone holds the private half of.
  TELNYX_PUBLIC_KEY: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  CONFERENCE_NUMBER: '+15555550100',
  TRANSFER_NUMBER: '+15555550101',
  SYMBL_APP_ID: 'example-symbl-app-id',
  SYMBL_NUMBER: '+15555550102',
} as const satisfies Partial<Record<PropName, string>>;

/** The stack's settings, and whether they are the examples (fine for synth, not for a deploy). */
export interface StackSettings {
  readonly settings: SentimentIvrSettings;
  readonly stackName: string;
  readonly usesExamples: boolean;
}

const isBlank = (text: string | undefined): boolean => (text?.trim() ?? '') === '';

/**
 * Turns named settings (the table's rows that are stack props, and `STACK_NAME`) into stack
 * props, each parsed by its row's rule: every bad value is reported at once, naming its
 * variable, and nothing unparsed reaches the stack. With none of the required settings given it
 * falls back to {@link exampleSettings} so `npm run synth` works with no setup; some but not
 * all of them is an error, as that is a mistake rather than a dry run. Secrets are never read.
 */
export function stackSettings(lookup: SettingLookup): StackSettings {
  const setting = (name: string): string | undefined => {
    const raw = lookup(name);
    return raw === undefined || raw === null ? undefined : String(raw);
  };
  const missing = requiredNames.filter((name) => isBlank(setting(name)));
  const usesExamples = missing.length === requiredNames.length;
  if (missing.length > 0 && !usesExamples) {
    throw new Error(`Missing settings: ${missing.join(', ')} (pass -c NAME=value or set the environment variable)`);
  }
  const example = (name: PropName): string | undefined =>
    usesExamples ? (exampleSettings as Partial<Record<PropName, string>>)[name] : undefined;

  const problems: string[] = [];
  const settings: Record<string, unknown> = {};
  for (const [name, spec] of propRows) {
    const parsed = parseSetting(name, isBlank(setting(name)) ? example(name) : setting(name));
    problems.push(...parsed.problems);
    settings[spec.prop] = parsed.value;
  }
  const stackName = parseSetting('STACK_NAME', setting('STACK_NAME'));
  problems.push(...stackName.problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    usesExamples,
    stackName: stackName.value ?? settingsTable.STACK_NAME.default,
    settings: settings as unknown as SentimentIvrSettings,
  };
}

/** A prop's value as its variable's text (a token stays a token); undefined when omitted. */
function propText(props: SentimentIvrSettings, spec: PropRow[1], withDefault: boolean): string | undefined {
  const value: unknown = props[spec.prop] ?? (withDefault ? spec.default : undefined);
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Token.isUnresolved(value)) return Tokenization.stringifyNumber(value);
  return spec.rule.format(value);
}

/**
 * The problems the functions' config would find in these props at their first cold start,
 * found at synth instead, in the same words: each prop by its row's rule, then the rules
 * between settings that do not need the secret's values. Unresolved tokens are left alone.
 */
export function settingProblems(props: SentimentIvrSettings): string[] {
  const env: Record<string, string | undefined> = {};
  const problems: string[] = [];
  for (const [name, spec] of propRows) {
    const text = propText(props, spec, false);
    if (text !== undefined && Token.isUnresolved(text)) continue;
    env[name] = text;
    problems.push(...parseSetting(name, text).problems);
  }
  return [...problems, ...crossFieldProblems(readSettings('functions', env).values, { secretsKnown: false })];
}

/** Throws a {@link ConfigError} naming every setting the functions would refuse. */
export function checkSettings(props: SentimentIvrSettings): void {
  const problems = settingProblems(props);
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * The environment every function gets: the resources' names, plus each of the functions'
 * settings that is a prop, set or defaulted (the functions' config would apply the same
 * default; passing it shows it in the console). Omitted settings without a default are absent.
 */
export function functionEnvironment(
  props: SentimentIvrSettings,
  resources: Readonly<Record<Extract<SettingName, 'TABLE_NAME' | 'POLL_QUEUE_URL' | 'APP_SECRET_ARN'>, string>>,
): Record<string, string> {
  const environment: Record<string, string> = { ...resources };
  for (const [name, spec] of propRows) {
    if (spec.use !== 'functions') continue;
    const text = propText(props, spec, true);
    if (text !== undefined && text !== '') environment[name] = text;
  }
  return environment;
}
