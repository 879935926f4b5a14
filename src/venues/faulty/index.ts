export * from './faulty-venue.ts';
