import { describe, expect, it } from 'vitest';
import { en } from './en.ts';
import { sv } from './sv.ts';
import { escapeHtml, html } from '../markup/html.ts';
import { pickLocale, translator } from './locale.ts';

describe('page language', () => {
  it('takes ui_locales first, then Accept-Language by weight, else English', () => {
    expect(pickLocale('sv-SE en', 'en')).toBe('sv');
    expect(pickLocale('de sv', undefined)).toBe('sv');
    expect(pickLocale(undefined, 'de-DE,sv;q=0.8,en;q=0.5')).toBe('sv');
    expect(pickLocale(undefined, 'en;q=0.4,sv;q=0.9')).toBe('sv');
    expect(pickLocale(undefined, 'sv;q=0,en')).toBe('en');
    expect(pickLocale('fr', 'de')).toBe('en');
  });

  it('has every English text in Swedish, with the same placeholders', () => {
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      expect(sv[key], key).toBeTruthy();
      expect(sv[key].match(/\{\w+\}/g) ?? [], key).toEqual(en[key].match(/\{\w+\}/g) ?? []);
    }
    expect(translator('sv')('signin.lead', { client: 'Webbshop' })).toBe('Logga in för att fortsätta till Webbshop.');
  });
});

describe('html templates', () => {
  it('escapes every interpolation unless it is markup from html itself', () => {
    const hostile = `"><script>alert('x')</script>`;
    expect(html`<p title="${hostile}">${hostile}</p>`.value).toBe(`<p title="${escapeHtml(hostile)}">${escapeHtml(hostile)}</p>`);
    expect(html`<ul>${['a', 'b'].map((item) => html`<li>${item}</li>`)}</ul>`.value).toBe('<ul><li>a</li><li>b</li></ul>');
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
  });
});
