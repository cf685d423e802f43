/**
 * Imported first by main.ts: sets V8's old-generation growth factor before anything else loads
 * (see applyHeapGrowing for why it cannot wait for the validated configuration).
 */
import { applyHeapGrowing, heapGrowingPercentFrom } from './heap-growth';

applyHeapGrowing(heapGrowingPercentFrom(process.env));
