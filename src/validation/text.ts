import { z } from 'zod';

/**
 * Every free-text input goes through this: PostgreSQL cannot store NUL in text, and no name,
 * URI or password legitimately holds one, so it is refused at the edge as a 400, on both dialects.
 */
export const text = () => z.string().refine((value) => !value.includes('\0'), 'must not contain NUL characters');
