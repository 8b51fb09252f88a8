/** The Lambda entry: the handler built from the container's parts. */
import { createDynamo, createRekognition, createS3, createSes } from '../lib/aws-clients';
import { fromEnvironment } from '../lib/parts';
import { makeHandler } from './handler';

export const handler = makeHandler(fromEnvironment({ dynamo: createDynamo, rekognition: createRekognition, s3: createS3, ses: createSes }));
