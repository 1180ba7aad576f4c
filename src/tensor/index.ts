export * from './dtype';
export * from './shape';
export * from './tensor';
export * from './create';
