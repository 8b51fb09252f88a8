/** The Lambda entry. */
import { makeHandler } from './handler';

export const handler = makeHandler();
