import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Customers } from '../customers/customers.ts';
import { customerPatchSchema } from '../customers/customer.schemas.ts';
import { DomainError } from '../errors/domain-error.ts';
import { customerActor } from '../events/audit-log.ts';
import type { Guests } from '../guests/guests.ts';
import { redrawn, type AccountInput, type AccountSteps } from '../http/account-step.ts';
import { sendPage } from '../http/page-reply.ts';
import { accountProfilePage } from '../pages/account-profile.page.ts';
import { attributeChangesFromForm, attributeFormValues, typedAttributeValues } from '../profile/attribute-form.ts';
import type { CustomerAttributes } from '../profile/customer-attributes.ts';
import type { AttributeDefinition, ProfileSchema } from '../profile/profile-schema.ts';

/** The form: names, language and `attr.*` fields (any of the schema's), every value a bounded string. */
const profileForm = z.record(z.string().max(100), z.string().max(2000)).refine((form) => Object.keys(form).length <= 200);
const names = customerPatchSchema.pick({ given_name: true, family_name: true });
const LANGUAGES = new Set(['sv', 'en']);
const RETURN = '/account/profile';

/**
 * `/account/profile`: the customer changes their names, language and the attributes the profile
 * schema lets them change (`customer_editable`), checked as the management API checks them, all in
 * one transaction; their orders (from guest checkouts they claimed) are listed below.
 */
export function profilePageRoutes(app: FastifyInstance, deps: { accountSteps: AccountSteps; customers: Customers; schema: ProfileSchema; attributes: CustomerAttributes; guests: Guests }): void {
  const { accountSteps } = deps;
  const editableOf = (schema: readonly AttributeDefinition[]) => schema.filter((attribute) => attribute.customerEditable);
  const editable = async () => editableOf(await deps.schema.listFresh());

  async function show(input: AccountInput, status: number, extra: { error?: string; notice?: string; typed?: Record<string, string> } = {}) {
    const id = input.session.accountId;
    const [customer, attributes, values, orders] = await Promise.all([deps.customers.get(id), editable(), deps.attributes.of(id), deps.guests.ordersOf(id)]);
    const typed = extra.typed;
    return sendPage(
      input.reply,
      status,
      accountProfilePage(input.page, {
        csrf: input.csrfToken(),
        values: typed
          ? { given_name: typed.given_name ?? '', family_name: typed.family_name ?? '', locale: typed.locale ?? '' }
          : { given_name: customer.givenName ?? '', family_name: customer.familyName ?? '', locale: customer.locale ?? input.page.locale },
        attributes,
        attributeValues: typed ? typedAttributeValues(typed) : attributeFormValues(attributes, values),
        orders: orders.map((order) => ({ reference: order.reference, createdAt: order.createdAt })),
        error: extra.error,
        notice: extra.notice,
      }),
    );
  }

  accountSteps.mount(app, {
    method: 'GET',
    path: RETURN,
    back: RETURN,
    handle: async (input) => show(input, 200, (input.request.query as Record<string, unknown> | undefined)?.done === 'saved' ? { notice: input.page.t('account.profile.saved') } : {}),
  });

  accountSteps.mount(app, {
    method: 'POST',
    path: RETURN,
    back: RETURN,
    form: profileForm,
    refuse: redrawn((input, status, error) => show(input, status, { error }), 'profile.due.invalid'),
    handle: async (input) => {
      const { form, session, page } = input;
      const id = session.accountId;
      const [customer, schema, stored] = await Promise.all([deps.customers.get(id), deps.schema.listFresh(), deps.attributes.of(id)]);
      const attributes = editableOf(schema);
      const wrong: string[] = [];
      // Names as the API takes them (empty removes one); the language one of the pages'.
      const blankIsNull = (value: string | undefined) => (value === undefined || value.trim() === '' ? null : value);
      const parsedNames = names.safeParse({ given_name: blankIsNull(form.given_name), family_name: blankIsNull(form.family_name) });
      if (!parsedNames.success) for (const issue of parsedNames.error.issues) wrong.push(page.t(issue.path[0] === 'given_name' ? 'field.given_name' : 'field.family_name'));
      const locale = form.locale ?? '';
      if (!LANGUAGES.has(locale)) wrong.push(page.t('account.profile.language'));
      let checked: Array<[string, unknown]> = [];
      try {
        checked = await deps.attributes.check(attributeChangesFromForm(attributes, form, { blankRemoves: true }), schema);
      } catch (error) {
        if (!(error instanceof DomainError) || error.status !== 400) throw error;
        wrong.push(...refusedAttributes(error, attributes, page.locale));
      }
      if (wrong.length > 0) return show(input, 400, { error: page.t('account.profile.invalid', { fields: [...new Set(wrong)].join(', ') }), typed: form });
      // Only what changed: an unchanged page saved writes nothing and tells no system.
      const patch = Object.fromEntries(
        Object.entries({ ...parsedNames.data, locale }).filter(([key, value]) => value !== { given_name: customer.givenName, family_name: customer.familyName, locale: customer.locale }[key as 'given_name' | 'family_name' | 'locale']),
      );
      const changed = checked.filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(stored[key] ?? null));
      const actor = customerActor(id);
      if (Object.keys(patch).length > 0) await deps.customers.update(id, patch, actor, Date.now(), (trx) => deps.attributes.writeWithin(trx, id, changed, actor));
      else if (changed.length > 0) await deps.attributes.set(id, Object.fromEntries(changed), actor);
      return input.reply.code(303).redirect(`${RETURN}?done=saved`, 303);
    },
  });
}

/** The labels, in the page's language, of the attributes a refusal names (`address.postal_code` → Address). */
function refusedAttributes(error: DomainError, attributes: readonly AttributeDefinition[], locale: string): string[] {
  const keys = Array.isArray(error.details) ? (error.details as Array<{ path?: string }>).map((detail) => String(detail.path ?? '').split('.')[0]) : [];
  return attributes.filter((attribute) => keys.includes(attribute.key)).map((attribute) => attribute.labels[locale === 'sv' ? 'sv' : 'en']);
}
