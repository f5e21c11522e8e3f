import { afterAll, afterEach, beforeAll } from 'vitest';
import { startHarness, type Harness, type HarnessOptions } from '../../local/harness.js';
import { startLocalAws, type LocalAws } from '../../local/local-aws.js';

/**
 * One DynamoDB Local and SQS emulator for a test file, and a fresh harness per test, stopped
 * after it. Call at the top level of a test file.
 */
export function localWorld() {
  let aws: LocalAws | undefined;
  let current: Harness | undefined;
  beforeAll(async () => {
    aws = await startLocalAws();
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  afterAll(async () => aws?.stop());
  return {
    get aws(): LocalAws {
      if (!aws) throw new Error('local servers not started yet');
      return aws;
    },
    async harness(options: Omit<HarnessOptions, 'aws'> = {}): Promise<Harness> {
      current = await startHarness({ aws: this.aws, ...options });
      return current;
    },
  };
}
