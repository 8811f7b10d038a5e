export { estimateFromPlan, estimateDuration, THROUGHPUT } from './estimate';
