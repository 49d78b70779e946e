import { html } from '../../markup/html.ts';
import type { Locale } from '../../i18n/locale.ts';
import type { MailMessage } from '../mail-sender.ts';
import { MESSAGE_TEXTS, type MessageKind } from './message-texts.ts';
import { NOTICE_TEXTS, type NoticeKind } from './notice-texts.ts';

/** The brand a message is sent for: its name, and texts it overrides per locale and kind. */
export interface MessageBrand {
  name: string;
  /** The host the WebOTP line of an SMS binds the code to (`@id.example.com #123456`). */
  host: string;
  overrides?: Partial<Record<Locale, Partial<Record<MessageKind, Partial<Record<string, string>>>>>>;
  /** From address of the brand's e-mails (a retail chain's own); MAIL_FROM when unset. */
  sender?: string | null;
}

export interface CodeMessage {
  kind: MessageKind;
  locale: Locale;
  brand: MessageBrand;
  to: string;
  code: string;
  link?: string;
  minutes: number;
}

function textsFor(message: CodeMessage) {
  const base = MESSAGE_TEXTS[message.locale][message.kind];
  const override = message.brand.overrides?.[message.locale]?.[message.kind] ?? {};
  const params: Record<string, string> = { brand: message.brand.name, minutes: String(message.minutes), code: message.code };
  const fill = (text: string | undefined) => (text ?? '').replace(/\{(\w+)\}/g, (match, name: string) => params[name] ?? match);
  return {
    subject: fill(override.subject ?? base.subject),
    lead: fill(override.lead ?? base.lead),
    codeLabel: fill(override.codeLabel ?? base.codeLabel),
    linkLabel: fill(override.linkLabel ?? base.linkLabel),
    expiry: fill(override.expiry ?? base.expiry),
    ignore: fill(override.ignore ?? base.ignore),
  };
}

/** A code e-mail as plain text and escaped HTML (no remote images, no scripts). */
export function renderCodeMail(message: CodeMessage): MailMessage {
  const t = textsFor(message);
  const text = [t.lead, '', `${t.codeLabel}: ${message.code}`, ...(message.link ? ['', `${t.linkLabel}:`, message.link] : []), '', t.expiry, t.ignore, '', `— ${message.brand.name}`].join('\n');
  const body = html`<!doctype html><html lang="${message.locale}"><body style="font-family:system-ui,sans-serif;max-width:32rem">
<p>${t.lead}</p>
<p>${t.codeLabel}:</p>
<p style="font-size:2rem;letter-spacing:.3rem;font-weight:bold">${message.code}</p>
${message.link ? html`<p><a href="${message.link}">${t.linkLabel}</a></p>` : ''}
<p>${t.expiry}</p>
<p style="color:#555">${t.ignore}</p>
<p>— ${message.brand.name}</p>
</body></html>`;
  return { to: message.to, subject: t.subject, text, html: body.value, ...(message.brand.sender ? { from: message.brand.sender } : {}) };
}

/** An SMS code, with the WebOTP line browsers use to offer the code for autofill. */
export function renderCodeSms(message: CodeMessage): { to: string; body: string } {
  const t = textsFor(message);
  return { to: message.to, body: `${t.lead} ${t.expiry}\n\n@${message.brand.host} #${message.code}` };
}

export interface NoticeMessage {
  kind: NoticeKind;
  locale: Locale;
  brand: MessageBrand;
  to: string;
  /** Filled into `{detail}` (the passkey's device, the recovery codes left). */
  detail: string;
  /** The account page, linked from the advice. */
  accountUrl: string;
}

/** A security notice: what changed, and what to do if it was not the customer. */
export function renderNoticeMail(message: NoticeMessage): MailMessage {
  const texts = NOTICE_TEXTS[message.locale][message.kind];
  const params: Record<string, string> = { brand: message.brand.name, detail: message.detail, account: message.accountUrl };
  const fill = (text: string) => text.replace(/\{(\w+)\}/g, (match, name: string) => params[name] ?? match);
  const subject = fill(texts.subject);
  const lead = fill(texts.lead);
  const advice = fill(texts.advice);
  const body = html`<!doctype html><html lang="${message.locale}"><body style="font-family:system-ui,sans-serif;max-width:32rem">
<p>${lead}</p>
<p>${advice}</p>
<p>— ${message.brand.name}</p>
</body></html>`;
  return { to: message.to, subject, text: [lead, '', advice, '', `— ${message.brand.name}`].join('\n'), html: body.value };
}
