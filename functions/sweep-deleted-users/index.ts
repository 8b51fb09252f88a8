/** The Lambda entry: the handler built from the container's parts. */
import { userPoolPartsFromEnvironment } from '../lib/parts';
import { makeHandler } from './handler';

export const handler = makeHandler(userPoolPartsFromEnvironment());
