/**
 * Delivers S3 `ObjectCreated` notifications to the functions that template.yaml subscribes (SAM `Events` of type
 * S3, with their prefix/suffix filter), shaped as S3 sends them (eventVersion 2.1, keys URL-encoded as S3 encodes
 * them), with Lambda's asynchronous-invocation semantics: every event is first written to a queue on disk (so an
 * event is never lost while a function is busy, or across a restart), delivered one at a time per function, and
 * retried twice with backoff when the function fails; after that it is moved to `failed/`, like an on-failure
 * destination. Delivery is at least once, as on AWS: the indexer must be idempotent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Event } from 'aws-lambda';
import type { LocalDeployment } from '../template/deployment';
import type { S3ObjectCreated } from './local-s3';

export interface S3NotificationTarget {
  bucketName: string;
  functionLogicalId: string;
  /** e.g. `s3:ObjectCreated:*`. */
  events: string[];
  prefix: string;
  suffix: string;
  configurationId: string;
}

export interface S3EventBridgeOptions {
  source: EventEmitter;
  targets: S3NotificationTarget[];
  region: string;
  /** Folder for `pending/` and `failed/` deliveries. */
  queueDir: string;
  /** Invokes the function; rejects when the invocation failed (a function error, a timeout). */
  deliver: (functionLogicalId: string, event: S3Event) => Promise<void>;
  /** Waits before the first and second retry. Lambda waits about 1 and 2 minutes; locally seconds keep the loop short. */
  retryDelaysMs?: number[];
  log?: (line: string) => void;
}

interface QueuedDelivery {
  id: string;
  functionLogicalId: string;
  event: S3Event;
  /** Attempts made so far. */
  attempts: number;
  notBefore: number;
}

/** The template's S3 subscriptions with their buckets' local names. */
export function notificationTargets(deployment: LocalDeployment): S3NotificationTarget[] {
  return deployment.wiring.s3Notifications.map((notification) => ({
    bucketName: deployment.ref(notification.bucketLogicalId),
    functionLogicalId: notification.functionLogicalId,
    events: notification.events,
    prefix: notification.prefix,
    suffix: notification.suffix,
    configurationId: notification.configurationId,
  }));
}

/**
 * An object key as S3 writes it into event notifications: form-URL-encoded (space as `+`), `/` kept.
 * Decoding is `decodeURIComponent(key.replace(/\+/g, ' '))`.
 */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment)
        .replace(/[!'()~]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)
        .replace(/%20/g, '+'),
    )
    .join('/');
}

function eventMatches(target: S3NotificationTarget, created: S3ObjectCreated): boolean {
  const name = `s3:${created.eventName}`;
  return (
    target.bucketName === created.bucket &&
    target.events.some((pattern) => pattern === name || (pattern.endsWith(':*') && name.startsWith(pattern.slice(0, -1)))) &&
    created.key.startsWith(target.prefix) &&
    created.key.endsWith(target.suffix)
  );
}

let sequence = 0;

/** S3's sequencer: hex, increasing with every write, so consumers can order events for one key. */
function nextSequencer(time: Date): string {
  sequence = (sequence + 1) % 0x10000;
  return `${time.getTime().toString(16).toUpperCase().padStart(12, '0')}${sequence.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function s3EventNotification(target: S3NotificationTarget, created: S3ObjectCreated, region: string): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: created.time.toISOString(),
        eventName: created.eventName,
        userIdentity: { principalId: 'AWS:AIDALOCALSTACKUPLOADER' },
        requestParameters: { sourceIPAddress: created.sourceIp },
        responseElements: {
          'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
          'x-amz-id-2': randomBytes(48).toString('base64'),
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: target.configurationId,
          bucket: { name: created.bucket, ownerIdentity: { principalId: 'A3LOCALSTACKOWNER' }, arn: `arn:aws:s3:::${created.bucket}` },
          object: {
            key: encodeS3EventKey(created.key),
            size: created.size,
            eTag: created.eTag ?? '',
            sequencer: nextSequencer(created.time),
          },
        },
      },
    ],
  };
}

export class S3EventBridge {
  private readonly pendingDir: string;
  private readonly failedDir: string;
  private readonly queue: QueuedDelivery[] = [];
  private readonly busy = new Set<string>();
  private readonly idleWaiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly listener = (created: S3ObjectCreated) => this.onObjectCreated(created);

  constructor(private readonly options: S3EventBridgeOptions) {
    this.pendingDir = join(options.queueDir, 'pending');
    this.failedDir = join(options.queueDir, 'failed');
  }

  /** Picks up deliveries left pending by a previous run, then listens for new objects. */
  start(): void {
    mkdirSync(this.pendingDir, { recursive: true });
    mkdirSync(this.failedDir, { recursive: true });
    for (const file of readdirSync(this.pendingDir)
      .filter((name) => name.endsWith('.json'))
      .sort()) {
      this.queue.push(JSON.parse(readFileSync(join(this.pendingDir, file), 'utf8')) as QueuedDelivery);
    }
    if (this.queue.length > 0) this.options.log?.(`resuming ${this.queue.length} undelivered S3 event(s) from ${this.pendingDir}`);
    this.running = true;
    this.options.source.on('objectCreated', this.listener);
    this.pump();
  }

  /** Stops delivering; queued deliveries stay on disk for the next start. */
  stop(): void {
    this.running = false;
    this.options.source.off('objectCreated', this.listener);
    clearTimeout(this.timer);
  }

  /** Resolves when nothing is queued or being delivered (retries included). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.busy.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private onObjectCreated(created: S3ObjectCreated): void {
    for (const target of this.options.targets.filter((candidate) => eventMatches(candidate, created))) {
      const delivery: QueuedDelivery = {
        // Sortable by arrival, so a restart resumes in order.
        id: `${Date.now().toString().padStart(15, '0')}-${randomUUID()}`,
        functionLogicalId: target.functionLogicalId,
        event: s3EventNotification(target, created, this.options.region),
        attempts: 0,
        notBefore: 0,
      };
      this.persist(delivery);
      this.queue.push(delivery);
    }
    this.pump();
  }

  private persist(delivery: QueuedDelivery): void {
    const file = join(this.pendingDir, `${delivery.id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(delivery));
    renameSync(`${file}.tmp`, file);
  }

  private pump(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    const now = Date.now();
    for (const delivery of [...this.queue]) {
      if (this.busy.has(delivery.functionLogicalId) || delivery.notBefore > now) continue;
      this.busy.add(delivery.functionLogicalId);
      void this.attempt(delivery);
    }
    const waiting = this.queue.filter((delivery) => !this.busy.has(delivery.functionLogicalId));
    if (waiting.length > 0) {
      const next = Math.min(...waiting.map((delivery) => delivery.notBefore));
      this.timer = setTimeout(() => this.pump(), Math.max(0, next - Date.now()));
    }
    if (this.queue.length === 0 && this.busy.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async attempt(delivery: QueuedDelivery): Promise<void> {
    const key = delivery.event.Records[0]?.s3.object.key;
    const retryDelays = this.options.retryDelaysMs ?? [1000, 2000];
    delivery.attempts += 1;
    try {
      await this.options.deliver(delivery.functionLogicalId, delivery.event);
      unlinkSync(join(this.pendingDir, `${delivery.id}.json`));
      this.queue.splice(this.queue.indexOf(delivery), 1);
    } catch (error) {
      const delay = retryDelays[delivery.attempts - 1];
      if (delay === undefined) {
        writeFileSync(join(this.failedDir, `${delivery.id}.json`), JSON.stringify({ ...delivery, lastError: String(error) }));
        unlinkSync(join(this.pendingDir, `${delivery.id}.json`));
        this.queue.splice(this.queue.indexOf(delivery), 1);
        this.options.log?.(
          `S3 event for ${key} failed ${delivery.attempts} times in ${delivery.functionLogicalId}; ` +
            `kept in ${this.failedDir}: ${String(error)}`,
        );
      } else {
        delivery.notBefore = Date.now() + delay;
        this.persist(delivery);
        this.options.log?.(
          `S3 event for ${key} failed in ${delivery.functionLogicalId} (attempt ${delivery.attempts}); ` +
            `retrying in ${delay} ms: ${String(error)}`,
        );
      }
    } finally {
      this.busy.delete(delivery.functionLogicalId);
      this.pump();
    }
  }
}
