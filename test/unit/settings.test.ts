import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { e164List, flag, oneOf, polarity, textList, url, wholeNumber } from '../../lib/settings/parsers.js';
import { parseSetting, readSettings, secretKeys, settingRows, type SettingSpec, settingsTable } from '../../lib/settings/table.js';
import { workshopAliases } from '../../local/env.js';
import { readmePath, settingsSections, withCurrentSettings } from '../../local/readme-settings.js';

const readme = readFileSync(readmePath, 'utf8');

describe('parsers', () => {
  it.each([
    ['a list, trimmed, empty items dropped', e164List.parse('N', ' +14155550100 ,, +14155550101 ,'), ['+14155550100', '+14155550101'], []],
    ['every bad number in a list', e164List.parse('N', '+1555, x'), ['+1555', 'x'], [
      'N has "+1555", which is not an E.164 number such as +14155550100',
      'N has "x", which is not an E.164 number such as +14155550100',
    ]],
    ['free text list', textList.parse('N', 'a@example.test, b@example.test'), ['a@example.test', 'b@example.test'], []],
    ['a polarity at its bound', polarity.parse('N', '-1'), -1, []],
    ['a polarity past its bound', polarity.parse('N', '1.01'), undefined, ['N must be a number from -1 to 1, got "1.01"']],
    ['a whole number at its bounds', wholeNumber(5, 600).parse('N', '600'), 600, []],
    ['a whole number below its bound', wholeNumber(5, 600).parse('N', '4'), undefined, ['N must be a whole number from 5 to 600, got "4"']],
    ['a number that is not one', wholeNumber(1, 9).parse('N', 'NaN'), undefined, ['N must be a whole number from 1 to 9, got "NaN"']],
    ['an infinite number', polarity.parse('N', '-Infinity'), undefined, ['N must be a number from -1 to 1, got "-Infinity"']],
    ['a URL with its path', url({ endsWith: '/v2', example: 'http://h/v2' }).parse('N', 'http://h/v2/'), 'http://h/v2/', []],
    ['a URL without its path', url({ endsWith: '/v2', example: 'http://h/v2' }).parse('N', 'http://h/v2//'), 'http://h/v2//', ['N must end in /v2, for example http://h/v2']],
    ['not a URL', url().parse('N', 'example.test'), 'example.test', ['N must be a URL']],
    ['flag 1', flag.parse('N', '1'), true, []],
    ['flag 0', flag.parse('N', '0'), false, []],
    ['a flag that is a property name of every object', flag.parse('N', 'toString'), undefined, ['N must be true or false']],
    ['one of four', oneOf(['DEBUG', 'INFO', 'WARN', 'ERROR']).parse('N', 'verbose'), undefined, ['N must be DEBUG, INFO, WARN or ERROR']],
    ['one of them is case-sensitive', oneOf(['symbl', 'telnyx']).parse('N', 'Symbl'), undefined, ['N must be symbl or telnyx']],
  ])('%s', (_, parsed, value, problems) => {
    expect(parsed).toEqual({ value, problems });
  });
});

describe('settings table', () => {
  it.each(settingRows.filter(([, spec]) => spec.default !== undefined))('%s: its default obeys its own rule', (name, spec) => {
    const text = spec.rule.format(spec.default);
    expect(parseSetting(name, text)).toEqual({ value: spec.default, problems: [] });
  });

  it.each(settingRows.filter(([, spec]) => spec.required))('%s: unset or blank is a problem naming it', (name) => {
    for (const raw of [undefined, '', '   ']) {
      expect(parseSetting(name, raw).problems).toEqual([expect.stringMatching(new RegExp(`^${name} is required`))]);
    }
  });

  it('keeps these two in the one secret, in this order (the public key only verifies: a plain setting)', () => {
    expect(secretKeys).toEqual(['TELNYX_API_KEY', 'SYMBL_APP_SECRET']);
  });

  it('gives every secret a prop name, so leaving the secret is a change of that one column', () => {
    for (const name of secretKeys) expect((settingsTable[name] as SettingSpec).prop).toMatch(/^[a-z][A-Za-z]+$/);
  });

  it('names each stack prop once', () => {
    const props = settingRows.flatMap(([, spec]) => (spec.prop ? [spec.prop] : []));
    expect(new Set(props).size).toBe(props.length);
  });

  it('reads each use apart: the functions never see the stack\'s knobs or the local ports', () => {
    const { values, problems } = readSettings('functions', { WEBHOOK_RATE_LIMIT: 'fast', PORT: 'x' });
    expect(values).not.toHaveProperty('WEBHOOK_RATE_LIMIT');
    expect(values).not.toHaveProperty('PORT');
    expect(problems.join('\n')).not.toMatch(/WEBHOOK_RATE_LIMIT|PORT/);
    expect(readSettings('local', { PORT: ' 8080 ' }).values).toEqual({ PORT: 8080, DYNAMODB_PORT: undefined });
  });

  it("maps the workshop's three old names onto ours", () => {
    expect(workshopAliases).toEqual({ CONNECTION_ID: 'TELNYX_CONNECTION_ID', APP_ID: 'SYMBL_APP_ID', APP_SECRET: 'SYMBL_APP_SECRET' });
  });
});

describe('README.md', () => {
  /** The variable names in the first column of a generated region's table. */
  const namesIn = (markdown: string): string[] => [...markdown.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1] ?? '');
  const region = (name: string): string => {
    const from = readme.indexOf(`<!-- settings:${name} `);
    const to = readme.indexOf(`<!-- /settings:${name} -->`);
    expect(from, `README.md region ${name}`).toBeGreaterThan(0);
    return readme.slice(from, to);
  };

  it('lists every setting the functions and npm start read, and nothing else, in its Settings section', () => {
    const settingsSection = readme.slice(readme.indexOf('## Settings'), readme.indexOf('\n## ', readme.indexOf('## Settings') + 1));
    expect(settingsSection).toContain(region('environment'));
    expect(namesIn(region('environment'))).toEqual(settingRows.filter(([, spec]) => spec.use !== 'stack').map(([name]) => name));
  });

  it('lists every deployment setting, and no secret, under Deploying', () => {
    const names = namesIn(region('deploy'));
    expect(names).toEqual(settingRows.filter(([, spec]) => spec.use === 'stack' || (spec.prop && !spec.secret)).map(([name]) => name));
    for (const secret of secretKeys) expect(names).not.toContain(secret);
  });

  it('has the settings tables as the table generates them (run `npx tsx local/readme-settings.ts` to update)', () => {
    expect(Object.keys(settingsSections())).toEqual(['environment', 'deploy']);
    expect(withCurrentSettings(readme)).toBe(readme);
  });
});
