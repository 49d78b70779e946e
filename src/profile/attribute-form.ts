import type { AttributeDefinition } from './profile-schema.ts';

/** A form field of an attribute: `attr.{key}`, or one of an address's four parts. */
export const ATTRIBUTE_FIELD = /^attr\.([a-z][a-z0-9_]{1,63})(?:\.(street_address|postal_code|locality|country))?$/;
const ADDRESS_PARTS = ['street_address', 'postal_code', 'locality', 'country'] as const;

/** The form's attribute fields as typed (strings only, bounded), for showing them again. */
export function typedAttributeValues(body: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(body).filter(([name, value]) => ATTRIBUTE_FIELD.test(name) && typeof value === 'string' && value.length <= 300) as Array<[string, string]>);
}

/**
 * Form fields to attribute values, to be checked by type (customer-attributes.ts, checkValues): an
 * address from its four parts, a checkbox to a boolean. `blankRemoves` (the customer's own profile
 * page): a field left empty, or an address with no part but the country, removes the value (null).
 */
export function attributeChangesFromForm(attributes: readonly AttributeDefinition[], body: Record<string, unknown>, options: { blankRemoves?: boolean } = {}): Record<string, unknown> {
  const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
  const blank = (value: string | undefined) => value === undefined || value.trim() === '';
  return Object.fromEntries(
    attributes.map((attribute) => {
      const name = `attr.${attribute.key}`;
      if (attribute.type === 'address') {
        const parts = Object.fromEntries(ADDRESS_PARTS.map((part) => [part, field(`${name}.${part}`)]));
        if (options.blankRemoves && ADDRESS_PARTS.filter((part) => part !== 'country').every((part) => blank(parts[part]))) return [attribute.key, null];
        return [attribute.key, parts];
      }
      if (attribute.type === 'boolean') return [attribute.key, field(name) === 'true'];
      if (options.blankRemoves && blank(field(name))) return [attribute.key, null];
      return [attribute.key, field(name)];
    }),
  );
}

/** A stored value as the form's fields (the inverse of attributeChangesFromForm), to draw the form filled in. */
export function attributeFormValues(attributes: readonly AttributeDefinition[], values: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const attribute of attributes) {
    const value = values[attribute.key];
    if (value === undefined || value === null) continue;
    const name = `attr.${attribute.key}`;
    if (attribute.type === 'address' && typeof value === 'object') {
      for (const part of ADDRESS_PARTS) {
        const partValue = (value as Record<string, unknown>)[part];
        if (typeof partValue === 'string') fields[`${name}.${part}`] = partValue;
      }
    } else fields[name] = String(value);
  }
  return fields;
}
