import { describe, expect, it } from 'vitest';
import { redact, redactionRules } from '../../lib/core/redaction.js';

describe('redaction before anything is stored or shown', () => {
  it.each([
    ['my card is 4111 1111 1111 1111 thanks', 'my card is [card number] thanks'],
    ['4111-1111-1111-1111', '[card number]'],
    ['amex 3782 822463 10005', 'amex [card number]'],
    ['account 12345678', 'account [number]'],
    ['my ssn is 123-45-6789', 'my ssn is [number]'],
    ['call me back on +1 415 555 0123', 'call me back on +[number]'],
    ['order ABC123456 please', 'order ABC[number] please'],
    ['write to pat.lee+billing@example.co.uk today', 'write to [email] today'],
    ['two mails: a@b.io and c@d.io', 'two mails: [email] and [email]'],
  ])('redacts %j', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it.each([
    'press 1 for an operator',
    'it cost 25 dollars on 12/05',
    'I waited 2 weeks and 3 days',
    'version 1-2-3',
    'room 12345 is five digits',
    'I paid 1,250 dollars',
  ])('leaves %j alone: short numbers are what a supervisor follows', (text) => {
    expect(redact(text)).toBe(text);
  });

  it('names each rule with what it puts in place, as the README lists them', () => {
    expect(redactionRules.map((r) => r.replacement)).toEqual(['[email]', '[card number]', '[number]']);
  });
});
