import { LocalBus } from '../../src/drivers/bus/local.js';
import { runBusConformance } from './bus.suite.js';

runBusConformance('local', async () => {
  // One process: every node shares the one instance.
  const bus = new LocalBus();
  return { open: async () => bus, cleanup: () => bus.close() };
});
