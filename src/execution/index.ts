export * from './codec.ts';
export * from './order-manager.ts';
export * from './plan.ts';
export * from './ports.ts';
export * from './reconcile.ts';
export * from './recovery.ts';
