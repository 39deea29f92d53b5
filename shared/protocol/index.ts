export * from './codes';
export * from './version';
export * from './frame';
export * from './schemas';
export * from './control';
export * from './tensors';
export * from './decode';
export * from './localPlan';
