/** The Lambda entry: the handler built from the container's clients (it needs no other configuration). */
import { createRekognition, createS3 } from '../lib/aws-clients';
import { clientsFromEnvironment } from '../lib/parts';
import { makeHandler } from './handler';

export const handler = makeHandler({ clients: clientsFromEnvironment({ rekognition: createRekognition, s3: createS3 }) });
