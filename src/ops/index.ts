export * from './operands';
export * from './elementwise';
export * from './reduce';
export * from './shape';
export * from './matmul';
export * from './softmax';
