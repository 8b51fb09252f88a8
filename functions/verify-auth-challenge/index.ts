/** The Lambda entry: the handler built from the container's parts. */
import { createCognito, createDynamo, createRekognition, createS3, createTextract } from '../lib/aws-clients';
import { fromEnvironment } from '../lib/parts';
import { makeHandler } from './handler';

export const handler = makeHandler(
  fromEnvironment({ dynamo: createDynamo, rekognition: createRekognition, s3: createS3, textract: createTextract, cognito: createCognito }),
);
