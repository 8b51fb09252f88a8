/**
 * The Rekognition collection as a CloudFormation custom resource (`Custom::RekognitionCollection`), and what the
 * stack's deletion does to the stored data. Properties: `CollectionId`; `BucketName` (the photo bucket, which the
 * resource depends on, so CloudFormation deletes this resource first); `RetainOnDelete: 'true'` keeps both;
 * `AdoptExisting: 'true'` accepts an existing collection that holds faces.
 *
 * - Create makes the collection, tagged with the stack id. A collection that already exists is this stack's own
 *   (a retried Create) when it carries the tag, harmless when empty; one holding another stack's faces (kept by
 *   an earlier stack of the same name) fails the deployment unless AdoptExisting, since its faces belong to users
 *   who no longer exist and would be refused as DUPLICATE_FACE when they sign up again.
 * - Update accepts no CollectionId change: deleting the old collection would take every enrolled face with it.
 * - Delete empties the bucket and deletes the collection, unless RetainOnDelete.
 * PhysicalResourceId is the collection id. CloudFormation always gets an answer, also on errors and just before
 * the Lambda times out.
 */
import {
  CreateCollectionCommand,
  DeleteCollectionCommand,
  DescribeCollectionCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-rekognition';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import type { Clients } from '../lib/aws-clients';
import { sendCustomResourceResponse, type CustomResourceResult } from '../lib/cfn-response';
import { withDeadline } from '../lib/deadline';
import { describeError, logEvent, logger } from '../lib/logger';
import { deleteObjectsUnder } from '../lib/purge';

/** Time kept back to send FAILED before the Lambda is killed. */
const RESPONSE_RESERVE_MS = 2000;
const COLLECTION_ID = /^[a-zA-Z0-9_.-]{1,255}$/;
/** The tag naming the stack that created a collection (keys starting with `aws:` are reserved). */
export const STACK_TAG = 'face-login:stack-id';

type Properties = Record<string, unknown>;

/** What the custom resource uses: no table, no bucket of its own, only the collection and the photo bucket it is given. */
export interface CollectionParts {
  clients: Pick<Clients, 'rekognition' | 's3'>;
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** The collection's ARN, built from the stack's own ARN (same partition, region and account). */
function collectionArn(stackId: string, collectionId: string): string {
  const [, partition, , region, account] = stackId.split(':');
  return `arn:${partition}:rekognition:${region}:${account}:collection/${collectionId}`;
}

export function makeHandler({ clients }: CollectionParts) {
  /** Why an existing collection may not be used by this stack, or undefined when it may. */
  async function refusalOfExisting(event: CloudFormationCustomResourceEvent, collectionId: string): Promise<string | undefined> {
    const { FaceCount = 0 } = await clients.rekognition.send(new DescribeCollectionCommand({ CollectionId: collectionId }));
    if (FaceCount === 0) return undefined;
    const { Tags = {} } = await clients.rekognition.send(
      new ListTagsForResourceCommand({ ResourceArn: collectionArn(event.StackId, collectionId) }),
    );
    if (Tags[STACK_TAG] === event.StackId) return undefined;
    if (event.ResourceProperties.AdoptExisting === 'true') {
      logger.warn('existing collection adopted with its faces', { collectionId, faceCount: FaceCount, createdBy: Tags[STACK_TAG] });
      return undefined;
    }
    return (
      `Collection ${collectionId} already exists and holds ${plural(FaceCount, 'face')} ` +
      `of another stack (${Tags[STACK_TAG] ?? 'untagged'}). ` +
      'Delete it (aws rekognition delete-collection) or deploy with AdoptExistingCollection=true.'
    );
  }

  async function createCollection(event: CloudFormationCustomResourceEvent, collectionId: string): Promise<void> {
    try {
      await clients.rekognition.send(new CreateCollectionCommand({ CollectionId: collectionId, Tags: { [STACK_TAG]: event.StackId } }));
      logger.info('collection created', { collectionId });
    } catch (error) {
      if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
      const refusal = await refusalOfExisting(event, collectionId);
      if (refusal) throw new Error(refusal);
      logger.info('collection existed before', { collectionId });
    }
  }

  async function deleteCollection(collectionId: string): Promise<void> {
    try {
      await clients.rekognition.send(new DeleteCollectionCommand({ CollectionId: collectionId }));
      logger.info('collection deleted', { collectionId });
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      logger.info('collection deleted before', { collectionId });
    }
  }

  /**
   * Deletes every object of the bucket (it is not versioned, so there are no older versions), a page at a time,
   * so that CloudFormation can delete the bucket. A bucket that is already gone counts as empty.
   */
  async function emptyBucket(bucket: string): Promise<void> {
    try {
      logger.info('bucket emptied', { bucket, deleted: await deleteObjectsUnder(clients.s3, bucket) });
    } catch (error) {
      if ((error as Error).name !== 'NoSuchBucket') throw error;
      logger.info('bucket deleted before', { bucket });
    }
  }

  function collectionIdOf(properties: Properties): string {
    const collectionId = properties.CollectionId;
    if (typeof collectionId !== 'string' || !COLLECTION_ID.test(collectionId)) {
      throw new Error('CollectionId must be 1-255 characters of a-z, A-Z, 0-9, _ . -');
    }
    return collectionId;
  }

  async function apply(event: CloudFormationCustomResourceEvent): Promise<CustomResourceResult> {
    if (event.RequestType === 'Delete') {
      const properties: Properties = event.ResourceProperties;
      // A Create that failed before naming a collection leaves a physical id that is not one: nothing to delete.
      if (!COLLECTION_ID.test(event.PhysicalResourceId) || properties.RetainOnDelete === 'true') {
        logger.info('collection and photos kept', { physicalResourceId: event.PhysicalResourceId, bucket: properties.BucketName });
      } else {
        if (typeof properties.BucketName === 'string' && properties.BucketName !== '') await emptyBucket(properties.BucketName);
        await deleteCollection(event.PhysicalResourceId);
      }
      return { status: 'SUCCESS', physicalResourceId: event.PhysicalResourceId };
    }
    const collectionId = collectionIdOf(event.ResourceProperties);
    if (event.RequestType === 'Create') await createCollection(event, collectionId);
    else if (collectionId !== event.PhysicalResourceId) {
      throw new Error(
        `CollectionId cannot change from ${event.PhysicalResourceId}: deleting that collection would delete every enrolled face`,
      );
    }
    return { status: 'SUCCESS', physicalResourceId: collectionId, data: { CollectionId: collectionId } };
  }

  /** What CloudFormation keeps as the physical id when the request fails. */
  function physicalIdOnFailure(event: CloudFormationCustomResourceEvent): string {
    return event.RequestType === 'Create' ? `create-failed:${event.RequestId}` : event.PhysicalResourceId;
  }

  return async (event: CloudFormationCustomResourceEvent, context: Context): Promise<void> => {
    logEvent(event);
    const work = () =>
      apply(event).catch((error: unknown): CustomResourceResult => {
        logger.error('custom resource request failed', { requestType: event.RequestType, ...describeError(error) });
        return { status: 'FAILED', physicalResourceId: physicalIdOnFailure(event), reason: describeError(error).errorMessage };
      });
    const result = await withDeadline(
      work,
      context.getRemainingTimeInMillis() - RESPONSE_RESERVE_MS,
      (): CustomResourceResult => ({
        status: 'FAILED',
        physicalResourceId: physicalIdOnFailure(event),
        reason: 'timed out',
      }),
    );
    await sendCustomResourceResponse(event, result, context.logStreamName);
  };
}
