import { html, type SafeHtml } from '../../markup/html.ts';

/**
 * The console's form controls beside `consoleField` (a text input): a text area, a choice list,
 * a checkbox, a colour and a file. Each is labelled, with its hint and error under it, tied to it
 * for screen readers (`aria-describedby`, `aria-invalid`), as `consoleField` does.
 */
interface ControlOptions {
  name: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  /** A distinct id where one form's field name repeats on the page. */
  id?: string;
  lang?: string;
}

function described(id: string, options: ControlOptions): SafeHtml {
  const ids = [options.hint ? `${id}-hint` : '', options.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${options.error ? html` aria-invalid="true"` : ''}`;
}

function notes(id: string, options: ControlOptions): SafeHtml {
  return html`${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
${options.error ? html`<p class="field-error" id="${id}-error">${options.error}</p>` : ''}`;
}

export function consoleTextarea(options: ControlOptions & { value?: string; rows?: number; required?: boolean }): SafeHtml {
  const id = options.id ?? `field-${options.name}`;
  return html`<div class="field">
<label for="${id}">${options.label}</label>
<textarea id="${id}" name="${options.name}" rows="${options.rows ?? 4}"${options.lang ? html` lang="${options.lang}"` : ''}${options.required === false ? '' : html` required`}${described(id, options)}>${options.value ?? ''}</textarea>
${notes(id, options)}
</div>`;
}

export function consoleSelect(options: ControlOptions & { value?: string; choices: Array<{ value: string; label: string }> }): SafeHtml {
  const id = options.id ?? `field-${options.name}`;
  return html`<div class="field">
<label for="${id}">${options.label}</label>
<select id="${id}" name="${options.name}"${described(id, options)}>${options.choices.map((choice) => html`<option value="${choice.value}"${choice.value === options.value ? html` selected` : ''}>${choice.label}</option>`)}</select>
${notes(id, options)}
</div>`;
}

export function consoleCheckbox(options: ControlOptions & { checked: boolean }): SafeHtml {
  const id = options.id ?? `field-${options.name}`;
  return html`<div class="field">
<label class="check" for="${id}"><input type="checkbox" id="${id}" name="${options.name}" value="on"${options.checked ? html` checked` : ''}${described(id, options)}> ${options.label}</label>
${notes(id, options)}
</div>`;
}

/** A colour (#rrggbb): the browser's colour picker, which shows the colour it holds. */
export function consoleColour(options: ControlOptions & { value: string }): SafeHtml {
  const id = options.id ?? `field-${options.name}`;
  return html`<div class="field">
<label for="${id}">${options.label}</label>
<input type="color" id="${id}" name="${options.name}" value="${options.value}"${described(id, options)}>
${notes(id, options)}
</div>`;
}

export function consoleFile(options: ControlOptions & { accept: string }): SafeHtml {
  const id = options.id ?? `field-${options.name}`;
  return html`<div class="field">
<label for="${id}">${options.label}</label>
<input type="file" id="${id}" name="${options.name}" accept="${options.accept}"${described(id, options)}>
${notes(id, options)}
</div>`;
}
