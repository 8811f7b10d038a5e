export { MemoryJobEventStore, MemoryJobStore, MemoryOutboxStore } from './jobs';
