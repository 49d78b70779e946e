import { z } from 'zod';

/**
 * Every free-text input goes through this: PostgreSQL cannot store NUL in text, and no name,
 * URI or password legitimately holds one, so it is refused at the edge as a 400, on both dialects.
 * A lone surrogate (half of a UTF-16 pair, possible in JSON's `\ud800`) is no character: it cannot
 * be stored as UTF-8 and would come back as U+FFFD, so it is refused too.
 */
export const text = () =>
  z
    .string()
    .refine((value) => !value.includes('\0'), 'must not contain NUL characters')
    .refine((value) => value.isWellFormed(), 'must not contain lone surrogates (malformed UTF-16)');

/**
 * Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and
 * the invisible marks LRM, RLM and ALM (U+200E, U+200F, U+061C). In a name they only serve to make it
 * display as something else (U+202E turns `exe.txt` around), so names refuse them all; right-to-left
 * scripts display correctly without them.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** A name or display text (a person's names, client, brand, system, connection and key names, titles): text without bidi controls. */
export const nameText = () => text().refine((value) => !BIDI_CONTROLS.test(value), 'must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C)');
