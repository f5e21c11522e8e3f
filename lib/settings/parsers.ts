/**
 * The rules a setting's text can follow. Each parser reads a variable's trimmed, non-empty
 * text and names the variable in every problem, so the functions' config, the CDK app and the
 * stack report a bad value in the same words.
 */

/** A parsed value with the problems found; `value` may come with problems, so reading can go on. */
export interface Parsed<T> {
  /** Absent when the text says nothing usable: the setting's default (if any) stands in. */
  readonly value: T | undefined;
  readonly problems: readonly string[];
}

export interface Parser<T> {
  /** What a valid value looks like, in words (README.md's settings tables). */
  readonly describe: string;
  parse(name: string, text: string): Parsed<T>;
  /** Back to a variable's text: how the stack hands a prop's value to the functions. */
  format(value: T): string;
  /** The problem when a required variable is unset. @default `NAME is required` */
  missing?(name: string): string;
}

/** A parser whose setting may be required: reading goes on with `empty` when it is unset. */
export interface RequirableParser<T> extends Parser<T> {
  readonly empty: T;
}

const e164Pattern = /^\+[1-9]\d{6,14}$/;
const e164Example = '+14155550100';

const splitList = (text: string): string[] =>
  text.split(',').map((part) => part.trim()).filter((part) => part.length > 0);

/** "a or b", "a, b or c". */
const orList = (values: readonly string[]): string =>
  values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;

const valid = <T>(value: T): Parsed<T> => ({ value, problems: [] });

export const text: RequirableParser<string> = {
  describe: 'text',
  parse: (_name, value) => valid(value),
  format: (value) => value,
  empty: '',
};

/** A comma-separated list of free text (email addresses, say). */
export const textList: RequirableParser<readonly string[]> = {
  describe: 'comma list',
  parse: (_name, value) => valid(splitList(value)),
  format: (values) => values.join(','),
  empty: [],
};

export const e164: RequirableParser<string> = {
  describe: 'E.164 number',
  parse: (name, value) => ({
    value,
    problems: e164Pattern.test(value) ? [] : [`${name} must be an E.164 number such as ${e164Example}`],
  }),
  format: (value) => value,
  empty: '',
};

/** Comma-separated E.164 numbers; each bad one is a problem of its own. */
export const e164List: RequirableParser<readonly string[]> = {
  describe: 'E.164 numbers, comma list',
  parse: (name, value) => {
    const values = splitList(value);
    return {
      value: values,
      problems: values
        .filter((number) => !e164Pattern.test(number))
        .map((number) => `${name} has "${number}", which is not an E.164 number such as ${e164Example}`),
    };
  },
  format: (values) => values.join(','),
  missing: (name) => `${name} is required (one or more E.164 numbers, comma separated)`,
  empty: [],
};

function numberParser(describe: string, check: (n: number) => boolean): Parser<number> {
  return {
    describe,
    parse: (name, value) => {
      const parsed = Number(value);
      return Number.isFinite(parsed) && check(parsed)
        ? valid(parsed)
        : { value: undefined, problems: [`${name} must be a ${describe}, got "${value}"`] };
    },
    format: (value) => String(value),
  };
}

/** A sentiment polarity, -1 (most negative) to 1. */
export const polarity: Parser<number> = numberParser('number from -1 to 1', (n) => n >= -1 && n <= 1);

export function wholeNumber(min: number, max: number): Parser<number> {
  return numberParser(`whole number from ${min} to ${max}`, (n) => Number.isInteger(n) && n >= min && n <= max);
}

/** A URL; with `path`, one whose path ends there (one trailing slash allowed). */
export function url(path?: { readonly endsWith: string; readonly example: string }): Parser<string> {
  return {
    describe: path ? `URL ending in \`${path.endsWith}\`` : 'URL',
    parse: (name, value) => {
      if (!URL.canParse(value)) return { value, problems: [`${name} must be a URL`] };
      const withoutSlash = value.endsWith('/') ? value.slice(0, -1) : value;
      if (path && !withoutSlash.endsWith(path.endsWith)) {
        return { value, problems: [`${name} must end in ${path.endsWith}, for example ${path.example}`] };
      }
      return valid(value);
    },
    format: (value) => value,
  };
}

const flagValues = new Map([['true', true], ['1', true], ['false', false], ['0', false]]);

/** `true`/`1` or `false`/`0`. */
export const flag: Parser<boolean> = {
  describe: '`true` or `false`',
  parse: (name, value) => {
    const parsed = flagValues.get(value);
    return parsed === undefined ? { value: undefined, problems: [`${name} must be true or false`] } : valid(parsed);
  },
  format: (value) => String(value),
};

export function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  return {
    describe: orList(values.map((value) => `\`${value}\``)),
    parse: (name, value) =>
      (values as readonly string[]).includes(value)
        ? valid(value as T)
        : { value: undefined, problems: [`${name} must be ${orList(values)}`] },
    format: (value) => value,
  };
}
