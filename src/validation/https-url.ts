import { z } from 'zod';

/** An https address a person follows from a hosted page (a privacy notice): never http, script or data. */
export const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https URL' }).max(2000);
