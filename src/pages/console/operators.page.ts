import { html, type SafeHtml } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { CONSOLE_ROLES } from '../../operators/operator-accounts.ts';
import { csrfInput } from '../layout.ts';
import { consoleField, consoleLayout, formMessage, when, type ConsolePage, type FieldErrors } from './console-layout.ts';

export interface OperatorRow {
  id: string;
  email: string;
  name: string;
  roles: string[];
  status: 'invited' | 'active' | 'disabled';
  last_sign_in_at: number | null;
}

export interface OperatorsView {
  csrf: string;
  operators: OperatorRow[];
  next?: string | undefined;
  /** The invite form as typed, when it was refused. */
  invite?: { email: string; name: string; roles: string[] };
  errors?: FieldErrors;
  notice?: string;
}

/** Operators and their roles; inviting one. */
export function operatorsPage(page: ConsolePage, view: OperatorsView): string {
  const { t } = page;
  return consoleLayout(page, t('operators.title'), html`<p class="lead">${t('operators.lead')}</p>
${formMessage(view.errors, view.notice)}
<div class="console-columns"><div>
${view.operators.length ? html`<ul class="items">${view.operators.map((operator) => row(page, view, operator))}</ul>` : html`<p class="empty">${t('operators.none')}</p>`}
${view.next ? html`<p><a class="button secondary" href="/console/operators?after=${view.next}">${t('operators.more')}</a></p>` : ''}
</div><div>${inviteForm(page, view)}</div></div>`);
}

function roleChecks(page: ConsolePage, name: string, checked: readonly string[], idPrefix: string): SafeHtml {
  return html`${CONSOLE_ROLES.map((role) => html`<label class="check" for="${idPrefix}-${role}"><input type="checkbox" id="${idPrefix}-${role}" name="${name}" value="${role}"${checked.includes(role) ? html` checked` : ''}> ${page.t(`role.${role}` as ConsoleKey)}</label>`)}`;
}

function row(page: ConsolePage, view: OperatorsView, operator: OperatorRow): SafeHtml {
  const { t } = page;
  const base = `/console/operators/${operator.id}`;
  return html`<li class="item"><div>
<p class="purpose-title">${operator.name} <span class="tag">${t(`operators.status.${operator.status}` as ConsoleKey)}</span></p>
<p class="hint">${operator.email}${operator.last_sign_in_at ? ` · ${when(page, operator.last_sign_in_at * 1000)}` : ''}</p>
<form method="post" action="${base}/roles" class="inline-form">${csrfInput(view.csrf)}
<fieldset class="roles"><legend>${t('operators.roles')}: ${operator.name}</legend>${roleChecks(page, 'roles', operator.roles, `roles-${operator.id}`)}</fieldset>
<button type="submit" class="secondary">${t('operators.save')}</button></form>
${operator.status === 'invited' ? '' : html`<form method="post" action="${base}/status" class="inline-form">${csrfInput(view.csrf)}<input type="hidden" name="status" value="${operator.status === 'active' ? 'disabled' : 'active'}"><button type="submit" class="secondary">${t(operator.status === 'active' ? 'operators.disable' : 'operators.enable')}</button></form>`}
</div></li>`;
}

function inviteForm(page: ConsolePage, view: OperatorsView): SafeHtml {
  const { t } = page;
  return html`<section aria-labelledby="invite-heading"><h2 id="invite-heading">${t('operators.invite')}</h2>
<form method="post" action="/console/operators" novalidate>${csrfInput(view.csrf)}
${consoleField({ name: 'name', label: t('operators.name'), value: view.invite?.name ?? '', autocomplete: 'off', error: view.errors?.name })}
${consoleField({ name: 'email', label: t('operators.email'), type: 'email', value: view.invite?.email ?? '', autocomplete: 'off', error: view.errors?.email })}
<fieldset class="roles"${view.errors?.roles ? html` aria-describedby="invite-roles-error"` : ''}><legend>${t('operators.roles')}</legend>${roleChecks(page, 'roles', view.invite?.roles ?? [], 'invite')}</fieldset>
${view.errors?.roles ? html`<p class="field-error" id="invite-roles-error">${view.errors.roles}</p>` : ''}
<button type="submit" class="primary">${t('operators.invite_submit')}</button>
</form></section>`;
}
