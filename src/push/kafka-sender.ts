// Sends lines straight to Kafka with an idempotent kafkajs producer (acks=all): the agent without a
// gateway in between, for hosts that can reach the brokers.

import { Partitioners, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { createKafka } from '../kafka/kafka-client.ts';
import { type OutLine, type Sender, type SendOutcome, transientSendError } from './sender.ts';

export class KafkaSender implements Sender {
  readonly target: string;
  private producer: Producer | undefined;

  constructor(
    private readonly topic: string,
    private readonly brokers: string[],
    private readonly logger: Logger,
  ) {
    this.target = `kafka (topic ${topic})`;
  }

  async send(lines: OutLine[]): Promise<SendOutcome> {
    try {
      if (this.producer === undefined) {
        const p = createKafka({
          brokers: this.brokers,
          clientId: 'krange-push',
          logger: this.logger,
        }).producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          createPartitioner: Partitioners.DefaultPartitioner,
          // The idempotent producer's sequence numbers stay valid only with unlimited retries.
          retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 5000 },
        });
        await p.connect();
        this.producer = p;
      }
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: lines.map((l) => ({ key: l.key, value: l.text })),
      });
      return { results: lines.map(() => ({ kind: 'stored' as const })) };
    } catch (err) {
      throw transientSendError(this.target, (err as Error).message, undefined, err);
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
  }
}
