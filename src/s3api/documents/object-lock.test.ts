import { describe, expect, it } from 'vitest';
import {
  defaultRetainUntil,
  parseLegalHold,
  parseLockDate,
  parseObjectLockConfiguration,
  parseRetention,
} from './object-lock.js';

const config = (rule: string) =>
  `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`;

describe('parseObjectLockConfiguration', () => {
  it('reads the default retention, or none without a Rule', () => {
    expect(parseObjectLockConfiguration(config(''))).toBeUndefined();
    expect(
      parseObjectLockConfiguration(
        config(
          '<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>7</Years></DefaultRetention></Rule>',
        ),
      ),
    ).toEqual({ mode: 'COMPLIANCE', years: 7 });
  });

  it.each([
    ['<ObjectLockConfiguration/>', 'MalformedXML'],
    [config('<Rule/>'), 'MalformedXML'],
    [
      config(
        '<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>x</Days></DefaultRetention></Rule>',
      ),
      'MalformedXML',
    ],
    [
      config(
        '<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>36501</Days></DefaultRetention></Rule>',
      ),
      'InvalidRetentionPeriod',
    ],
    [config('<Extra/>'), 'MalformedXML'],
  ])('refuses %s with %s', (xml, code) => {
    expect(() => parseObjectLockConfiguration(xml)).toThrow(
      expect.objectContaining({ s3Code: code }),
    );
  });
});

describe('parseLockDate', () => {
  it('takes ISO 8601 with a zone, and refuses a date or time that does not exist', () => {
    expect(parseLockDate('2030-01-02T03:04:05Z')?.toISOString()).toBe('2030-01-02T03:04:05.000Z');
    expect(parseLockDate('2030-01-02T03:04:05.123+02:00')?.toISOString()).toBe(
      '2030-01-02T01:04:05.123Z',
    );
    for (const bad of [
      '2030-02-31T00:00:00Z',
      '2030-01-01T24:00:00Z',
      '2030-01-01',
      '2030-01-01T00:00:00',
    ]) {
      expect(parseLockDate(bad), bad).toBeUndefined();
    }
  });

  it('counts a default retention in days, or in calendar years', () => {
    const t = Date.UTC(2028, 1, 29, 12);
    expect(defaultRetainUntil({ mode: 'GOVERNANCE', days: 2 }, t).toISOString()).toBe(
      '2028-03-02T12:00:00.000Z',
    );
    expect(defaultRetainUntil({ mode: 'GOVERNANCE', years: 1 }, t).toISOString()).toBe(
      '2029-03-01T12:00:00.000Z',
    );
  });
});

describe('parseRetention and parseLegalHold', () => {
  it('read a retention, its removal, and a legal hold', () => {
    expect(
      parseRetention(
        '<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>',
      ),
    ).toEqual({ mode: 'GOVERNANCE', retainUntil: new Date('2030-01-01T00:00:00Z') });
    expect(parseRetention('<Retention/>')).toBeUndefined();
    expect(parseLegalHold('<LegalHold><Status>ON</Status></LegalHold>')).toBe('ON');
    expect(() => parseLegalHold('<LegalHold><Status>On</Status></LegalHold>')).toThrow(/ON, OFF/);
  });
});
