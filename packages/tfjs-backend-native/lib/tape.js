// tfjs-core keeps every intermediate gradient, and every tape node's saved tensors, until the whole
// backward pass ends; PyTorch frees each as soon as the node that consumes it has run. At batch 64
// and 224x224 those are gigabytes: a full set of activation gradients on top of the activations.
// While this backend is active, each tape node's gradient is wrapped so that, once the backward
// pass moves on to the next node, the previous node's output gradients and saved tensors are
// disposed. Only for first-order gradients (higher orders record the backward pass itself), never
// the pass's first dy (it may be the caller's), and never a tensor a gradient returned as-is.
export function releaseConsumedGradients(tf, backendName) {
  const engine = tf.engine();
  if (engine.addTapeNode.__native) return;
  const addTapeNode = engine.addTapeNode;
  let pending = null; // what the node whose gradient ran last no longer needs
  let lastTape = null;
  const flush = () => {
    if (!pending) return;
    for (const t of pending.tensors) if (!pending.returned.has(t)) t.dispose();
    pending = null;
  };

  engine.addTapeNode = function (...args) {
    addTapeNode.apply(this, args);
    const tape = this.state.activeTape;
    const node = tape[tape.length - 1];
    const gradient = node.gradient;
    if (!gradient || tf.getBackend() !== backendName) return;
    node.gradient = (dys) => {
      const first = lastTape !== tape;
      lastTape = tape;
      flush();
      const grads = gradient(dys);
      if (this.state.gradientDepth !== 0) return grads;
      const returned = new Set();
      pending = { tensors: [...(first ? [] : dys.filter((t) => t != null)), ...(node.saved ?? [])], returned };
      return Object.fromEntries(Object.entries(grads).map(([name, thunk]) => [name, () => {
        const dx = thunk();
        returned.add(dx);
        return dx;
      }]));
    };
  };
  engine.addTapeNode.__native = true;
}
