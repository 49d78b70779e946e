import { html, type SafeHtml } from '../../markup/html.ts';
import { csrfInput } from '../layout.ts';
import type { ConsolePage, FieldErrors } from './console-layout.ts';

/** What an operator ticked and typed in a refused confirmation, drawn again as it was. */
export interface ConfirmTyped {
  task: string;
  checklist: string[];
  deleted: string[];
  retained_reason: string;
  note: string;
}

interface ManualTask {
  id: string;
  system: string;
  system_name: string | null;
  mode: string;
  categories: string[];
  checklist: string[] | null;
}

/**
 * Confirming a manual system's task: each step of its checklist a checkbox (all must be ticked),
 * what was deleted (every category, unless some is kept, and then why), and a note.
 */
export function confirmForm(page: ConsolePage, input: { csrf: string; requestId: string; task: ManualTask; typed?: ConfirmTyped | undefined; errors?: FieldErrors | undefined }): SafeHtml {
  const { t } = page;
  const { task, typed, errors } = input;
  const name = task.system_name ?? task.system;
  const id = `confirm-${task.id}`;
  const error = (field: string) => (errors?.[field] ? html`<p class="field-error" id="${id}-${field}-error">${errors[field]}</p>` : '');
  const described = (field: string, hint = '') => {
    const ids = [hint, errors?.[field] ? `${id}-${field}-error` : ''].filter(Boolean).join(' ');
    return ids ? html` aria-describedby="${ids}"` : '';
  };
  const ticked = (list: 'checklist' | 'deleted', value: string, byDefault: boolean) => ((typed ? typed[list].includes(value) : byDefault) ? html` checked` : '');
  const erasing = task.mode !== 'export';
  return html`<section aria-labelledby="${id}-heading" class="confirm-task" data-task="${task.id}"><h2 id="${id}-heading">${t('privacy.confirm.title', { system: name })}</h2>
<p class="hint">${t('privacy.confirm.lead', { system: name })}</p>
<form method="post" action="/console/privacy/${input.requestId}/confirm" novalidate>${csrfInput(input.csrf)}
<input type="hidden" name="task" value="${task.id}">
<fieldset class="checklist"${described('checklist')}><legend>${t('privacy.confirm.checklist')}</legend>
${(task.checklist ?? []).map((step, index) => html`<label class="check" for="${id}-step-${index}"><input type="checkbox" id="${id}-step-${index}" name="checklist" value="${step}"${ticked('checklist', step, false)}> ${step}</label>`)}
</fieldset>
${error('checklist')}
${erasing ? html`<fieldset class="deleted"${described('deleted', `${id}-deleted-hint`)}><legend>${t('privacy.confirm.deleted')}</legend>
<p class="hint" id="${id}-deleted-hint">${t('privacy.confirm.deleted_hint')}</p>
${task.categories.map((category, index) => html`<label class="check" for="${id}-category-${index}"><input type="checkbox" id="${id}-category-${index}" name="deleted" value="${category}"${ticked('deleted', category, task.mode === 'delete')}> ${category}</label>`)}
</fieldset>
${error('deleted')}
<div class="field"><label for="${id}-retained-reason">${t('privacy.confirm.kept_reason')}</label>
<input id="${id}-retained-reason" name="retained_reason" type="text" autocomplete="off" value="${typed?.retained_reason ?? ''}"${described('retained_reason', `${id}-retained-reason-hint`)}${errors?.retained_reason ? html` aria-invalid="true"` : ''}>
<p class="hint" id="${id}-retained-reason-hint">${t('privacy.confirm.kept_reason_hint')}</p>
${error('retained_reason')}</div>` : ''}
<div class="field"><label for="${id}-note">${t('privacy.confirm.note')}</label>
<textarea id="${id}-note" name="note" rows="3" maxlength="2000"${described('note')}${errors?.note ? html` aria-invalid="true"` : ''}>${typed?.note ?? ''}</textarea>
${error('note')}</div>
<button type="submit" class="primary">${t('privacy.confirm.submit')}</button>
</form></section>`;
}
