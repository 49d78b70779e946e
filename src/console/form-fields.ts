import { z } from 'zod';

/** A checkbox: present (any value) when ticked, absent when not. */
export const checkbox = z.preprocess((value) => value !== undefined && value !== '', z.boolean());

/** A file input (multipart-form.ts): a chosen file, or nothing when none was chosen. */
export const uploadedFile = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z.object({ type: z.string().max(100), name: z.string().max(300), size: z.number().int().min(1), base64: z.string() }).optional(),
);
