/**
 * tf.variableGrads with the memory profile of a framework that frees as it goes. tfjs's own
 * backward pass keeps every tensor the tape saved and every intermediate gradient alive until the
 * whole pass ends, so its peak holds all activations and all of their gradients at once. Here a
 * tape node's saved tensors and its outputs' gradients are disposed as soon as the node has been
 * differentiated (each tensor is the output of exactly one node, and nodes run in reverse order,
 * so nothing later needs them). Same nodes, same gradient functions, same results.
 *
 * Written against tfjs-core 4.22's engine (state.activeTape, gradientDepth, scopedRun); inside
 * another gradient computation (higher-order gradients) it defers to tf.variableGrads.
 */
import * as tf from '@tensorflow/tfjs';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { gradientDepth: number; activeTape: TapeNode[] | null };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

/** The nodes on a path from one of `xs` to `y`, with inputs not depending on `xs` pruned (as tfjs's tape.ts). */
function pathsFromTo(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      nodesFromX.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => toY.has(o.id))) {
      nodesToY.add(node.id);
      for (const t of Object.values(node.inputs)) toY.add(t.id);
    }
  }
  return tape
    .filter((n) => nodesFromX.has(n.id) && nodesToY.has(n.id))
    .map((n) => ({
      ...n,
      inputs: Object.fromEntries(Object.entries(n.inputs).filter(([, t]) => fromX.has(t.id))),
    }));
}

/** Gradients of the scalar f() with respect to `vars` (by variable name), as tf.variableGrads. */
export function variableGrads(
  f: () => tf.Scalar,
  vars: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.state.gradientDepth > 0) return tf.variableGrads(f, vars);
  const xs = vars.filter((v) => v.trainable);
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  if (!(y instanceof tf.Tensor) || y.rank !== 0)
    throw new Error('variableGrads: f must return a scalar tensor');
  const tape = engine.state.activeTape ?? [];
  engine.state.activeTape = null;
  try {
    const nodes = pathsFromTo(tape, xs, y);
    if (nodes.length === 0) throw new Error('variableGrads: no variable is connected to the value of f');
    const grads = engine.tidy('backward', () => backprop(nodes, y, xs));
    const named: tf.NamedTensorMap = {};
    xs.forEach((v, i) => {
      if (grads[i]) named[v.name] = grads[i]!;
    });
    return { value: y as tf.Scalar, grads: named };
  } finally {
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
  }
}

function backprop(nodes: TapeNode[], y: tf.Tensor, xs: tf.Tensor[]): (tf.Tensor | undefined)[] {
  // gradient by tensor id, and how many ids each gradient object is stored under
  const acc = new Map<number, tf.Tensor>([[y.id, tf.onesLike(y)]]);
  const uses = new Map<tf.Tensor, number>([[acc.get(y.id)!, 1]]);
  const store = (id: number, g: tf.Tensor) => {
    acc.set(id, g);
    uses.set(g, (uses.get(g) ?? 0) + 1);
  };
  const unstore = (id: number, dispose: boolean) => {
    const g = acc.get(id);
    if (!g) return;
    acc.delete(id);
    const n = (uses.get(g) ?? 1) - 1;
    if (n > 0) uses.set(g, n);
    else {
      uses.delete(g);
      if (dispose) g.dispose();
    }
  };
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
    if (!node.gradient)
      throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const inputGrads = node.gradient(dys);
    for (const [name, x] of Object.entries(node.inputs)) {
      if (!(name in inputGrads))
        throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}.`);
      const dx = tf.tidy(() => inputGrads[name]());
      if (dx.dtype !== 'float32')
        throw new Error(
          `The gradient of input '${name}' of ${node.kernelName} must be float32, not ${dx.dtype}`,
        );
      if (!tf.util.arraysEqual(dx.shape, x.shape))
        throw new Error(
          `The gradient of input '${name}' of ${node.kernelName} has shape [${dx.shape}], the input [${x.shape}]`,
        );
      const prev = acc.get(x.id);
      if (!prev) store(x.id, dx);
      else {
        const sum = tf.add(prev, dx);
        unstore(x.id, true);
        if (!uses.has(dx)) dx.dispose();
        store(x.id, sum);
      }
    }
    // Nothing before this node reads its saved tensors or its outputs' gradients.
    for (const t of node.saved ?? []) t.dispose();
    for (const o of node.outputs) unstore(o.id, true);
  }
  const grads = xs.map((x) => acc.get(x.id));
  return grads;
}
