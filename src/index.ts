/**
 * The package's public entry point: what a DAG file in another project imports (`from 'dagctl'`). The
 * authoring API of the engine and the general-purpose operators; everything else stays internal.
 */
export * from './engine/index.js';
export { BashOperator, type BashOperatorOptions } from './operators/bash.js';
export { BranchOperator, type BranchOperatorOptions, type BranchTarget } from './operators/branch.js';
export { EmptyOperator } from './operators/empty.js';
export { FunctionOperator, type FunctionOperatorOptions } from './operators/function.js';
export { BaseSensor, FunctionSensor, type FunctionSensorOptions, type PokeResult, type SensorOptions } from './operators/sensor.js';
export { ShortCircuitOperator, type ShortCircuitOperatorOptions } from './operators/short-circuit.js';
