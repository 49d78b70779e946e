import type { MailMessage } from '../messaging/mail-sender.ts';
import { html } from '../markup/html.ts';

/**
 * The invitation to the console, in Swedish and English (the operator's language is not known
 * yet): who they are invited as, the single-use link and how long it lasts.
 */
export function renderInvitationMail(input: { to: string; name: string; roles: string[]; link: string; product: string }): MailMessage {
  const roles = input.roles.join(', ');
  const sv = `Hej ${input.name}! Du är inbjuden till ${input.product} konsol som ${roles}. Öppna länken inom 24 timmar och lägg till en nyckel (passkey) eller en autentiseringsapp:`;
  const en = `Hello ${input.name}, you are invited to the ${input.product} console as ${roles}. Open the link within 24 hours and set up a passkey or an authenticator app:`;
  const ignore = 'Väntade du dig inte det här? Strunta i brevet. · Not expecting this? Ignore this e-mail.';
  const body = html`<!doctype html><html lang="sv"><body style="font-family:system-ui,sans-serif;max-width:32rem">
<p>${sv}</p>
<p lang="en">${en}</p>
<p><a href="${input.link}">${input.link}</a></p>
<p style="color:#555">${ignore}</p>
</body></html>`;
  return { to: input.to, subject: `${input.product}: inbjudan till konsolen · invitation to the console`, text: [sv, '', en, '', input.link, '', ignore].join('\n'), html: body.value };
}
